/**
 * The Omniglot loader (Lake, Salakhutdinov & Tenenbaum 2015): reads the official archives
 * (`images_background.zip`, `images_evaluation.zip`, the two small background subsets) or
 * already-extracted folders of the same names, preprocesses every drawing once (see
 * omniglot-preprocess.ts: invert so ink is 1, resize to 28x28), caches the 8-bit arrays per
 * archive (cache.ts), and returns a class-indexed dataset for a split (omniglot-splits.ts):
 * Vinyals train/val/test/trainval (classes = character x rotation, as listed in
 * `splits/<split>.txt`) or an official split (classes = characters, optionally x 4 rotations).
 *
 * Layout under the data directory (the `omniglot/` sub-folder is optional):
 * ```
 * <dataDir>/omniglot/images_background.zip    or  images_background/<Alphabet>/characterNN/XXXX_YY.png
 * <dataDir>/omniglot/images_evaluation.zip    or  images_evaluation/...
 * <dataDir>/omniglot/splits/{train,val,test,trainval}.txt   (Vinyals splits only)
 * ```
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { archiveStem, openArchive } from './archive.js';
import { cached, type CacheStatus } from './cache.js';
import { findFirst, resolveCacheDir, resolveDataDir } from './data-dir.js';
import { createUint8ImageDataset, type ClassIndexedDataset, type Uint8ClassSpec } from './image-dataset.js';
import { OMNIGLOT_PREPROCESS_VERSION, omniglotPreprocessDefaults, preprocessOmniglotPng, type OmniglotPreprocessOptions } from './omniglot-preprocess.js';
import { ROTATIONS, rotationToken, type RotationDegrees } from './rotate.js';
import { OFFICIAL_ARCHIVES, OMNIGLOT_SPLITS, isVinyalsSplit, parseVinyalsSplit, type OfficialSplit, type OmniglotSplit } from './omniglot-splits.js';

/** Options of {@link loadOmniglot}. */
export interface OmniglotOptions extends OmniglotPreprocessOptions {
  /** Which classes; see omniglot-splits.ts. */
  readonly split: OmniglotSplit;
  /** Data directory; default {@link resolveDataDir}() (`METALEARN_DATA_DIR`). */
  readonly dataDir?: string;
  /** Cache directory, or `false` for no cache; default {@link resolveCacheDir}(). */
  readonly cacheDir?: string | false;
  /**
   * Rotations as extra classes. Vinyals splits: `true` (default) keeps every line of the split
   * file; `false` keeps only the `rot000` lines. Official splits: `false` (default) gives one
   * class per character with id `Alphabet/characterNN`; `true` gives four, `Alphabet/characterNN/rotDDD`.
   */
  readonly rotations?: boolean;
}

/** How one archive's arrays were obtained. */
export interface ArchiveLoadReport {
  readonly archive: string;
  readonly status: CacheStatus;
  readonly reason?: string;
  readonly elapsedMs: number;
  readonly cacheFile?: string;
}

/** A loaded Omniglot split. */
export interface OmniglotDataset extends ClassIndexedDataset {
  readonly split: OmniglotSplit;
  /** The preprocessing applied (resolved defaults). */
  readonly preprocess: Required<OmniglotPreprocessOptions>;
  /** One entry per archive read (cache hit, miss or rebuild, with timings). */
  readonly archives: readonly ArchiveLoadReport[];
  /** Drawing file names of each class (`XXXX_YY.png`), aligned with examples. */
  readonly files: readonly (readonly string[])[];
}

/** One character of an archive, as stored in the cache metadata. */
interface CharacterEntry {
  /** `Alphabet/characterNN`. */
  readonly id: string;
  readonly firstExample: number;
  readonly count: number;
  readonly files: readonly string[];
}

/** The decoded content of one archive. */
export interface OmniglotArchive {
  readonly characters: readonly CharacterEntry[];
  /** `uint8 [N, S, S]`, ink = 255. */
  readonly pixels: Uint8Array;
  readonly report: ArchiveLoadReport;
}

/** The folder holding the Omniglot files: `<dataDir>/omniglot` when it exists, else `dataDir`. */
export function omniglotRoot(dataDir: string): string {
  const sub = join(dataDir, 'omniglot');
  return existsSync(sub) ? sub : dataDir;
}

/**
 * Loads and preprocesses one official archive (from the cache when valid).
 *
 * @param root - the Omniglot folder ({@link omniglotRoot}).
 * @param archive - e.g. `'images_background'` (looked up as `<archive>.zip`, then `<archive>/`).
 * @param preprocess - validated preprocessing options.
 * @param cacheDir - cache directory or `false`.
 * @returns the characters (sorted by alphabet, then character) and their pixels.
 * @throws MetaLearnError `dataNotFound` when the archive is absent or holds no drawing;
 *   `corruptData` when a PNG cannot be decoded.
 */
export async function loadOmniglotArchive(root: string, archive: string, preprocess: Required<OmniglotPreprocessOptions>, cacheDir: string | false): Promise<OmniglotArchive> {
  const path = findFirst('loadOmniglotArchive', `Omniglot archive '${archive}'`, root, [`${archive}.zip`, archive]);
  const source = await openArchive(path);
  const stem = source.kind === 'directory' ? archive : archiveStem(path);
  const key = { builder: 'omniglot-archive', version: OMNIGLOT_PREPROCESS_VERSION, source: await source.fingerprint(), preprocess };
  const result = await cached({
    cacheDir,
    namespace: `omniglot-${stem}-${preprocess.imageSize}-${preprocess.resize}`,
    key,
    async build() {
      const pattern = new RegExp(`^${stem}/([^/]+)/(character\\d+)/([^/]+\\.png)$`);
      const entries = await source.readFiles((p) => pattern.test(p));
      if (entries.length === 0) throw new MetaLearnError('dataNotFound', `loadOmniglotArchive: ${path} holds no drawing matching ${stem}/<Alphabet>/characterNN/*.png`);
      const s = preprocess.imageSize;
      const pixels = new Uint8Array(entries.length * s * s);
      const characters: Array<{ id: string; firstExample: number; count: number; files: string[] }> = [];
      for (const [i, e] of entries.entries()) {
        const m = pattern.exec(e.path)!;
        const id = `${m[1]}/${m[2]}`;
        let last = characters[characters.length - 1];
        if (last === undefined || last.id !== id) {
          last = { id, firstExample: i, count: 0, files: [] };
          characters.push(last);
        }
        last.count++;
        last.files.push(m[3]!);
        preprocessOmniglotPng(e.bytes, `${path}:${e.path}`, preprocess, pixels, i * s * s);
      }
      return { meta: { characters }, arrays: { pixels } };
    },
  });
  const meta = result.payload.meta as { characters?: CharacterEntry[] };
  const pixels = result.payload.arrays['pixels'];
  if (!Array.isArray(meta.characters) || !(pixels instanceof Uint8Array)) {
    throw new MetaLearnError('corruptData', `loadOmniglotArchive: cache file ${result.file} has a valid checksum but no characters/pixels (written by another version?)`);
  }
  const report: ArchiveLoadReport = { archive: path, status: result.status, elapsedMs: result.elapsedMs, ...(result.reason ? { reason: result.reason } : {}), ...(result.file ? { cacheFile: result.file } : {}) };
  return { characters: meta.characters, pixels, report };
}

/**
 * Loads an Omniglot split as a class-indexed dataset of float32 `[28, 28, 1]` images in [0, 1]
 * (ink = 1). The first call decodes the archives (a few seconds for all 32,460 drawings); later
 * calls read the cache.
 *
 * @param options - split, rotations, preprocessing, data and cache directories.
 * @returns the dataset; class ids are `Alphabet/characterNN[/rotDDD]`, in split-file order
 *   (Vinyals) or sorted by alphabet and character (official splits, rotations innermost).
 * @throws MetaLearnError `invalidArgument` on an unknown split or bad preprocessing options;
 *   `dataNotFound` when the data directory, an archive, a split file or a listed character is
 *   missing; `corruptData` on an undecodable PNG or a malformed split file.
 * @example
 * const train = await loadOmniglot({ split: 'train' }); // 4112 classes (1028 characters x 4)
 * const bg = await loadOmniglot({ split: 'background', rotations: false }); // 964 classes
 * @see Vinyals et al. 2016 (split, rotations); Finn et al. 2017, sec. 5.2 (MAML's protocol).
 */
export async function loadOmniglot(options: OmniglotOptions): Promise<OmniglotDataset> {
  const split = options.split;
  if (!(OMNIGLOT_SPLITS as readonly string[]).includes(split)) {
    throw new MetaLearnError('invalidArgument', `loadOmniglot: options.split must be one of ${OMNIGLOT_SPLITS.join(', ')}, got '${String(split)}'`);
  }
  const preprocess = omniglotPreprocessDefaults('loadOmniglot', options);
  const root = omniglotRoot(resolveDataDir(options.dataDir));
  const cacheDir = options.cacheDir === false ? false : resolveCacheDir(options.cacheDir);
  const s = preprocess.imageSize;
  const shape: [number, number, number] = [s, s, 1];

  if (!isVinyalsSplit(split)) {
    const a = await loadOmniglotArchive(root, OFFICIAL_ARCHIVES[split as OfficialSplit], preprocess, cacheDir);
    const rotations: readonly RotationDegrees[] = options.rotations === true ? ROTATIONS : [0];
    const classes: Uint8ClassSpec[] = [];
    const files: (readonly string[])[] = [];
    for (const c of a.characters) {
      for (const r of rotations) {
        classes.push({ id: options.rotations === true ? `${c.id}/${rotationToken(r)}` : c.id, firstExample: c.firstExample, count: c.count, rotation: r });
        files.push(c.files);
      }
    }
    const ds = createUint8ImageDataset(`omniglot/${split}`, shape, a.pixels, classes);
    return { ...ds, split, preprocess, archives: [a.report], files };
  }

  const splitFile = findFirst('loadOmniglot', `the Vinyals split file for '${split}'`, root, [join('splits', `${split}.txt`), join('splits', 'vinyals', `${split}.txt`)]);
  let lines = parseVinyalsSplit(await readFile(splitFile, 'utf8'), splitFile);
  if (options.rotations === false) lines = lines.filter((l) => l.rotation === 0);
  const parts = [
    await loadOmniglotArchive(root, OFFICIAL_ARCHIVES.background, preprocess, cacheDir),
    await loadOmniglotArchive(root, OFFICIAL_ARCHIVES.evaluation, preprocess, cacheDir),
  ];
  const pixels = new Uint8Array(parts.reduce((n, p) => n + p.pixels.length, 0));
  const byCharacter = new Map<string, CharacterEntry>();
  let offset = 0;
  for (const p of parts) {
    pixels.set(p.pixels, offset);
    const base = offset / (s * s);
    for (const c of p.characters) byCharacter.set(c.id, { ...c, firstExample: c.firstExample + base });
    offset += p.pixels.length;
  }
  const classes: Uint8ClassSpec[] = [];
  const files: (readonly string[])[] = [];
  for (const l of lines) {
    const c = byCharacter.get(`${l.alphabet}/${l.character}`);
    if (c === undefined) {
      throw new MetaLearnError('dataNotFound', `loadOmniglot: ${splitFile} lists '${l.id}', but ${l.alphabet}/${l.character} is in neither images_background nor images_evaluation`);
    }
    classes.push({ id: l.id, firstExample: c.firstExample, count: c.count, rotation: l.rotation });
    files.push(c.files);
  }
  const ds = createUint8ImageDataset(`omniglot/${split}`, shape, pixels, classes);
  return { ...ds, split, preprocess, archives: parts.map((p) => p.report), files };
}
