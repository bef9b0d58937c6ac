// The token file is replaced, never rewritten in place: a reader sees the old token or the
// new one, never half of one. The temporary file sits beside the target (same file system,
// so rename is atomic) and is readable by the pod's other containers' group only.
import { rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function writeAtomic(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temporary, content, { mode: 0o640 });
  await rename(temporary, path);
}
