/**
 * Creating a folder and its missing parents without Node's `mkdir(path, { recursive: true })`,
 * which never returns (a C++ loop at 100% CPU, SIGTERM handlers starved) when the path is under
 * `/proc` or `/sys`: procfs answers ENOENT for a child it cannot hold, which the recursive walk
 * reads as "parent missing", creates the parent (EEXIST) and retries forever (nodejs/node, Linux,
 * Node 18 to 22).
 */
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** `stat`, or `undefined` when nothing is there (ENOENT, or ENOTDIR: an ancestor is a file). */
function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Creates folder `path` and every missing parent, one non-recursive `mkdir` each, from the
 * nearest existing ancestor down; an existing folder is left as it is. Every failure is the
 * file system's own error for the folder it could not create (e.g. ENOENT under `/proc`, EACCES,
 * ENOTDIR when an ancestor is a file), raised at once, never a retry loop.
 * @param path - the folder, absolute or relative to the working directory (walked up with
 *   `dirname` as given, so `link/../x` is `x` beside the link's target, as `mkdir -p`).
 * @throws Error with Node's `code` naming the folder: `EEXIST` when `path` is a file, `ENOTDIR`
 *   when an ancestor is, `ENOENT` for `''` or under `/proc`, `EACCES`, `EROFS`, ...
 */
export function makeDirectory(path: string): void {
  // As mkdir(2): an empty path names no folder.
  if (path === '') throw Object.assign(new Error("ENOENT: no such file or directory, mkdir ''"), { code: 'ENOENT' });
  // The path as given, not resolved: the kernel follows symbolic links before '..', as mkdir -p.
  const missing: string[] = [];
  let at = path;
  for (;;) {
    const st = statOrNothing(at);
    if (st !== undefined) {
      if (!st.isDirectory()) {
        // As mkdir(2): the folder itself is a file, EEXIST; an ancestor is a file, ENOTDIR.
        const child = missing[missing.length - 1];
        if (child === undefined) throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${at}' (a file, not a folder)`), { code: 'EEXIST' });
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${child}' ('${at}' is a file)`), { code: 'ENOTDIR' });
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      // Created meanwhile by another process: fine if it is a folder.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statOrNothing(dir)?.isDirectory() === true) continue;
      throw e;
    }
  }
}
