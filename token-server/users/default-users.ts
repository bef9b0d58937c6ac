// The server-wide user directory (--users-file, TOLLGATE_USERS_FILE): used by the
// password grant for clients whose identity mapping names no directory of their own.
// The file is re-read when it changes (a mounted Secret is updated in place), checked
// with one stat per use.
import { readFileSync, statSync } from "node:fs";
import { type UserDirectory, userDirectory } from "./user-directory.ts";

interface Loaded {
  path: string;
  stamp: string;
  directory: UserDirectory;
}

let loaded: Loaded | undefined;

/** The file's directory (parsed once per change), or undefined when no file is configured or it cannot be read. */
export function defaultUsers(path: string | undefined): UserDirectory | undefined {
  if (!path) return undefined;
  let stamp: string;
  try {
    const stat = statSync(path);
    stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return undefined;
  }
  if (loaded?.path === path && loaded.stamp === stamp) return loaded.directory;
  try {
    const directory = userDirectory(readFileSync(path, "utf8").split(/\r?\n/));
    loaded = { path, stamp, directory };
    return directory;
  } catch {
    return undefined;
  }
}
