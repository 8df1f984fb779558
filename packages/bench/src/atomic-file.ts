/**
 * Crash-safe file writes: write a temporary file beside the target, flush it, then rename over
 * the target (rename is atomic on POSIX file systems), so a crash leaves either the old file or
 * the new one, never a torn one.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, renameSync, statSync, writeSync, appendFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { makeDirectory } from '@metalearn/datasets';

/**
 * Runs a file-system write, turning Node's errors (EISDIR, EACCES, ENOSPC, ...) into a
 * MetaLearnError that names what was being written.
 * @param what - e.g. `'eval: --results'`; @param path - the target; @param write - the write.
 * @throws MetaLearnError `invalidArgument`: `<what> <path>: cannot write: <Node's message>`.
 */
export function writingTo<T>(what: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (MetaLearnError.is(e)) throw e;
    throw new MetaLearnError('invalidArgument', `${what} ${path}: cannot write: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Writes `data` to `path` atomically (temp file + fsync + rename). Creates parent folders.
 * @param path - target file.
 * @param data - contents.
 * @param what - who writes, for messages (default `'writeFileAtomic'`).
 * @throws MetaLearnError `invalidArgument` when the file cannot be written (see {@link writingTo}).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'writeFileAtomic'): void {
  writingTo(what, path, () => writeAtomic(path, data));
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  makeDirectory(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Appends one JSON record as a line to a JSON Lines file (creating folders).
 * @param what - who writes, for messages (default `'appendJsonLine'`).
 * @throws MetaLearnError `invalidArgument` when the file cannot be written (see {@link writingTo}).
 */
export function appendJsonLine(path: string, record: unknown, what = 'appendJsonLine'): void {
  writingTo(what, path, () => {
    makeDirectory(dirname(path));
    appendFileSync(path, JSON.stringify(record) + '\n', 'utf8');
  });
}

/**
 * Checks, before long work, that a JSON Lines file can be appended to, without writing it: an
 * existing file must be writable, an absent one's folder (created if missing) writable.
 * @param path - the file; @param what - who asks, for messages (e.g. `'eval: --results'`).
 * @throws MetaLearnError `invalidArgument` when it cannot be written (see {@link writingTo}), e.g.
 *   an empty path (ENOENT), a folder (EISDIR), a read-only place (EACCES).
 */
export function checkAppendable(path: string, what: string): void {
  writingTo(what, path, () => {
    if (path === '') throw Object.assign(new Error("ENOENT: no such file or directory, open ''"), { code: 'ENOENT' });
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR' });
      accessSync(path, constants.W_OK);
    } else {
      makeDirectory(dirname(path));
      accessSync(dirname(path), constants.W_OK);
    }
  });
}
