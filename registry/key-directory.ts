// A directory of key files (current.jwk, next.jwk, previous.jwk: a mounted Secret),
// followed by polling: a mounted Secret changes by an atomic symlink swap, which
// fs.watch reports unreliably, and a poll of three small files is cheap. The signing
// keys (token-server/key-ring.ts) and the registry record keys (record-keys.ts) are
// both loaded this way. A set that fails to load keeps the previous keys and logs why.
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../common/logger.ts";
import { KEY_FILES, type KeySlot } from "./signing-key-format.ts";

export interface KeyDirectory<K extends { kid: string }> {
  dir: string;
  /** For log lines: "signing keys", "registry record keys". */
  what: string;
  parse(text: string, where: string): K;
  /** Takes a newly read set into use; returns the kids now accepted (for the log line). */
  install(keys: Partial<Record<KeySlot, K>>): Promise<string[]> | string[];
  log: Logger;
  pollMs: number;
}

/** Loads the directory now and again whenever its files change; returns a function that stops. */
export async function followKeyDirectory<K extends { kid: string }>(options: KeyDirectory<K>): Promise<() => void> {
  const { dir, what, log } = options;
  let fingerprint = "";
  const reload = async () => {
    try {
      const texts = await readKeyFiles(dir);
      const read = JSON.stringify(texts);
      if (read === fingerprint) return;
      const keys: Partial<Record<KeySlot, K>> = {};
      for (const [slot, text] of Object.entries(texts) as [KeySlot, string][])
        keys[slot] = options.parse(text, join(dir, KEY_FILES[slot]));
      const kids = await options.install(keys);
      fingerprint = read;
      log.info(`${what} loaded`, { dir, kid: keys.current?.kid, kids });
    } catch (error) {
      log.error(`${what} not loaded; keeping the previous ones`, { dir, error });
    }
  };
  await reload();
  const timer = setInterval(reload, options.pollMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Reads the key files as one consistent set. A mounted Secret's files are symlinks
 * into `..data`, which the kubelet swaps atomically: reading through the resolved
 * `..data` keeps a swap between two reads from mixing old and new files.
 */
async function readKeyFiles(dir: string): Promise<Partial<Record<KeySlot, string>>> {
  const base = await realpath(join(dir, "..data")).catch(() => dir);
  const texts: Partial<Record<KeySlot, string>> = {};
  for (const slot of Object.keys(KEY_FILES) as KeySlot[]) {
    try {
      texts[slot] = await readFile(join(base, KEY_FILES[slot]), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return texts;
}
