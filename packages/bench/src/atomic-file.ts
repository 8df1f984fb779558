/**
 * Crash-safe file writes: write a temporary file beside the target, flush it, then rename over
 * the target (rename is atomic on POSIX file systems), so a crash leaves either the old file or
 * the new one, never a torn one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, appendFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes `data` to `path` atomically (temp file + fsync + rename). Creates parent folders.
 * @param path - target file.
 * @param data - contents.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
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

/** Appends one JSON record as a line to a JSON Lines file (creating folders). */
export function appendJsonLine(path: string, record: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, JSON.stringify(record) + '\n', 'utf8');
}
