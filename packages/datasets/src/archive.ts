/**
 * Reading a dataset's files from where the official download puts them: a zip (Omniglot), a tar
 * (mini-ImageNet) or an already-extracted folder of the same layout. Entry paths are the same in
 * all three: a zip `images_background.zip` holds `images_background/<Alphabet>/...`, and a folder
 * `.../images_background/` is listed as `images_background/<Alphabet>/...` too (its own name
 * first), so loaders do not care which one they got.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { unzipSync } from 'fflate';
import tarStream from 'tar-stream';
import { MetaLearnError } from '@metalearn/core';

/** One file of an archive: its `/`-separated path (see the module documentation) and bytes. */
export interface ArchiveEntry {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** A zip, a tar or a directory, read as a set of files. */
export interface ArchiveSource {
  /** Absolute path of the zip or tar file, or of the directory. */
  readonly path: string;
  readonly kind: 'zip' | 'tar' | 'directory';
  /**
   * What the content depends on, for cache keys: the file's path, size and modification time;
   * for a directory, the count and a SHA-256 over every file's relative path, size and mtime.
   */
  fingerprint(): Promise<Readonly<Record<string, string | number>>>;
  /**
   * Every file whose path passes `keep`, sorted by path (byte order).
   * @throws MetaLearnError `corruptData` when the archive cannot be read.
   */
  readFiles(keep: (path: string) => boolean): Promise<ArchiveEntry[]>;
}

const byPath = (a: ArchiveEntry, b: ArchiveEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Opens a zip file, a tar file or a directory (decided by `stat` and the file extension).
 * @param path - absolute or relative path.
 * @throws MetaLearnError `dataNotFound` when nothing is there; `invalidArgument` when it is a
 *   file that is neither `.zip` nor `.tar`.
 */
export async function openArchive(path: string): Promise<ArchiveSource> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new MetaLearnError('dataNotFound', `openArchive: path ${path} does not exist`, { cause: e });
  }
  if (info.isDirectory()) return directorySource(path);
  const fileFingerprint = async (): Promise<Record<string, string | number>> => {
    const s = await stat(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  };
  if (path.endsWith('.zip')) {
    return {
      path,
      kind: 'zip',
      fingerprint: fileFingerprint,
      async readFiles(keep) {
        const buf = await readFile(path);
        let files: Record<string, Uint8Array>;
        try {
          files = unzipSync(buf, { filter: (f) => !f.name.endsWith('/') && keep(f.name) });
        } catch (e) {
          throw new MetaLearnError('corruptData', `openArchive: ${path} is not a readable zip (${(e as Error).message})`, { cause: e });
        }
        return Object.entries(files).map(([p, bytes]) => ({ path: p, bytes })).sort(byPath);
      },
    };
  }
  if (path.endsWith('.tar')) {
    return { path, kind: 'tar', fingerprint: fileFingerprint, readFiles: (keep) => readTar(path, keep) };
  }
  throw new MetaLearnError('invalidArgument', `openArchive: path must be a directory, a .zip or a .tar file, got ${path}`);
}

function directorySource(dir: string): ArchiveSource {
  const parent = join(dir, '..');
  const rel = (p: string): string => relative(parent, p).split(sep).join('/');
  return {
    path: dir,
    kind: 'directory',
    async fingerprint() {
      const files = (await walk(dir)).sort();
      const h = createHash('sha256');
      for (const f of files) {
        const s = await stat(f);
        h.update(`${rel(f)}\u0000${s.size}\u0000${s.mtimeMs}\n`);
      }
      return { path: dir, files: files.length, digest: h.digest('hex') };
    },
    async readFiles(keep) {
      const files = (await walk(dir)).filter((f) => keep(rel(f)));
      const out: ArchiveEntry[] = [];
      for (const f of files) out.push({ path: rel(f), bytes: await readFile(f) });
      return out.sort(byPath);
    },
  };
}

async function readTar(path: string, keep: (path: string) => boolean): Promise<ArchiveEntry[]> {
  const extract = tarStream.extract();
  const out: ArchiveEntry[] = [];
  const input = createReadStream(path);
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (entry.header.type === 'file' && keep(name)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        out.push({ path: name, bytes: Buffer.concat(chunks) });
      } else {
        entry.resume();
      }
    }
  } catch (e) {
    throw new MetaLearnError('corruptData', `openArchive: ${path} is not a readable tar (${(e as Error).message})`, { cause: e });
  }
  return out.sort(byPath);
}

/** The archive's base name without extension: `/x/images_background.zip` → `images_background`. */
export function archiveStem(path: string): string {
  return basename(path).replace(/\.(zip|tar)$/, '');
}
