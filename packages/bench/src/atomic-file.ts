/**
 * Crash-safe file writes: write a temporary file beside the target, flush it, then rename over
 * the target (rename is atomic on POSIX file systems), so a crash leaves either the old file or
 * the new one, never a torn one.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, appendFileSync } from 'node:fs';
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
