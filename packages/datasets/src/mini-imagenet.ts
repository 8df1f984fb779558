/**
 * The mini-ImageNet loader (Vinyals et al. 2016; the Ravi & Larochelle 2017 split of 64 / 16 /
 * 20 classes, 600 images each): reads `<split>.tar` (`<split>/<wnid>/<file>.jpg`, 84x84 RGB
 * JPEG) or an extracted `<split>/` folder, decodes with jpeg-js, caches the 8-bit arrays
 * (cache.ts) and returns a class-indexed dataset of float32 `[84, 84, 3]` images in [0, 1]
 * (`q / 255`, no mean/std normalisation: a backbone or the harness does that if it wants).
 *
 * jpeg-js is a pure-JavaScript baseline/progressive decoder; its IDCT and chroma upsampling are
 * not bit-identical to libjpeg(-turbo) as used by PIL, so a few pixels differ by a level or two
 * from Python pipelines. Images not already `imageSize x imageSize` are resized with the
 * `'lanczos'` filter (PIL's `ANTIALIAS`, which the original split scripts used).
 *
 * Layout under the data directory (the `mini-imagenet/` sub-folder is optional):
 * ```
 * <dataDir>/mini-imagenet/{train,val,test}.tar   (or train-200.tar, or extracted folders)
 * <dataDir>/mini-imagenet/splits/{train,val,test}.csv   (filename,label; optional, verified)
 * ```
 * When the split's csv is present, every image must be listed in it under its folder's class;
 * classes may hold fewer images than the csv lists (e.g. `train-200.tar`: the first 200 of 600).
 *
 * @see Vinyals et al. 2016, sec. 4.2; Ravi & Larochelle 2017, sec. 5 (the split).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { MetaLearnError } from '@metalearn/core';
import { openArchive } from './archive.js';
import { cached, type CacheStatus } from './cache.js';
import { findFirst, resolveCacheDir, resolveDataDir } from './data-dir.js';
import { createUint8ImageDataset, type ClassIndexedDataset, type Uint8ClassSpec } from './image-dataset.js';
import { resizeImage } from './resize.js';

/** The Ravi & Larochelle splits. */
export type MiniImageNetSplit = 'train' | 'val' | 'test';
/** Every {@link MiniImageNetSplit}. */
export const MINI_IMAGENET_SPLITS: readonly MiniImageNetSplit[] = ['train', 'val', 'test'];
/** Classes per split in the full data. */
export const MINI_IMAGENET_CLASSES: Readonly<Record<MiniImageNetSplit, number>> = { train: 64, val: 16, test: 20 };

/** Bumped whenever the decoding's output changes, to invalidate cached arrays. */
export const MINI_IMAGENET_DECODE_VERSION = 2;

/** Options of {@link loadMiniImageNet}. */
export interface MiniImageNetOptions {
  readonly split: MiniImageNetSplit;
  /** Data directory; default `METALEARN_DATA_DIR`. */
  readonly dataDir?: string;
  /** Cache directory, or `false`; default `METALEARN_CACHE_DIR` or `~/.cache/metalearn`. */
  readonly cacheDir?: string | false;
  /**
   * The archive to read, relative to the mini-ImageNet folder; default the first present of
   * `<split>.tar`, `<split>/`, `<split>-200.tar`.
   */
  readonly archive?: string;
  /** Output side length; default 84. */
  readonly imageSize?: number;
}

/** A loaded mini-ImageNet split. */
export interface MiniImageNetDataset extends ClassIndexedDataset {
  readonly split: MiniImageNetSplit;
  /** The archive read. */
  readonly archive: string;
  readonly cacheStatus: CacheStatus;
  readonly elapsedMs: number;
  /** File names per class, aligned with examples. */
  readonly files: readonly (readonly string[])[];
  /** Images per class listed in `splits/<split>.csv` (absent without the csv). */
  readonly listedPerClass?: Readonly<Record<string, number>>;
}

/** Parses `filename,label` lines (header `filename,label` optional). @returns filename → label. */
export function parseMiniImageNetCsv(text: string, fileName: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || (i === 0 && line === 'filename,label')) continue;
    const m = /^([^,]+),([^,]+)$/.exec(line);
    if (!m) throw new MetaLearnError('corruptData', `parseMiniImageNetCsv: ${fileName} line ${i + 1} must be 'filename,label', got '${line}'`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * Loads a mini-ImageNet split as a class-indexed dataset of float32 `[84, 84, 3]` in [0, 1].
 * Classes are sorted by WordNet id, images by file name.
 *
 * @param options - split, archive, data and cache directories, image size.
 * @returns the dataset (the first call decodes ~10k JPEGs, ~1.5 ms each; later calls read the cache).
 * @throws MetaLearnError `invalidArgument` on a bad split or size; `dataNotFound` when the
 *   archive is absent or empty; `corruptData` on an undecodable JPEG or an image the csv does
 *   not list under its folder's class.
 * @example const test = await loadMiniImageNet({ split: 'test' }); // 20 classes x 600
 */
export async function loadMiniImageNet(options: MiniImageNetOptions): Promise<MiniImageNetDataset> {
  const split = options.split;
  if (!MINI_IMAGENET_SPLITS.includes(split)) {
    throw new MetaLearnError('invalidArgument', `loadMiniImageNet: options.split must be one of ${MINI_IMAGENET_SPLITS.join(', ')}, got '${String(split)}'`);
  }
  const size = options.imageSize ?? 84;
  if (!Number.isInteger(size) || size < 1) throw new MetaLearnError('invalidArgument', `loadMiniImageNet: options.imageSize must be an integer >= 1, got ${size}`);
  const dataDir = resolveDataDir(options.dataDir);
  const root = existsSync(join(dataDir, 'mini-imagenet')) ? join(dataDir, 'mini-imagenet') : dataDir;
  const path = findFirst('loadMiniImageNet', `the mini-ImageNet '${split}' archive`, root, options.archive ? [options.archive] : [`${split}.tar`, split, `${split}-200.tar`]);
  const csvPath = join(root, 'splits', `${split}.csv`);
  const csv = existsSync(csvPath) ? parseMiniImageNetCsv(await readFile(csvPath, 'utf8'), csvPath) : undefined;
  const source = await openArchive(path);
  const cacheDir = options.cacheDir === false ? false : resolveCacheDir(options.cacheDir);
  const stem = path.slice(root.length + 1).replace(/[^A-Za-z0-9._-]/g, '_');
  const key = { builder: 'mini-imagenet', version: MINI_IMAGENET_DECODE_VERSION, split, source: await source.fingerprint(), imageSize: size };
  const result = await cached({
    cacheDir,
    namespace: `mini-imagenet-${stem}-${size}`,
    key,
    async build() {
      const pattern = new RegExp(`(?:^|/)${split}/(n\\d{8})/([^/]+\\.jpe?g)$`, 'i');
      const entries = await source.readFiles((p) => pattern.test(p));
      if (entries.length === 0) throw new MetaLearnError('dataNotFound', `loadMiniImageNet: ${path} holds no image matching ${split}/<wnid>/<file>.jpg`);
      const px = size * size * 3;
      const pixels = new Uint8Array(entries.length * px);
      const classes: Array<{ id: string; firstExample: number; count: number; files: string[] }> = [];
      for (const [i, e] of entries.entries()) {
        const m = pattern.exec(e.path)!;
        const wnid = m[1]!;
        const file = m[2]!;
        if (csv !== undefined && csv.get(file) !== wnid) {
          throw new MetaLearnError('corruptData', `loadMiniImageNet: ${path}:${e.path} is not listed under class ${wnid} in ${csvPath} (listed: ${csv.get(file) ?? 'nowhere'})`);
        }
        let last = classes[classes.length - 1];
        if (last === undefined || last.id !== wnid) {
          last = { id: wnid, firstExample: i, count: 0, files: [] };
          classes.push(last);
        }
        last.count++;
        last.files.push(file);
        let img;
        try {
          img = jpeg.decode(e.bytes, { useTArray: true, formatAsRGBA: false });
        } catch (err) {
          throw new MetaLearnError('corruptData', `loadMiniImageNet: ${path}:${e.path} is not a decodable JPEG (${(err as Error).message})`, { cause: err });
        }
        if (img.width === size && img.height === size) {
          pixels.set(img.data.subarray(0, px), i * px);
        } else {
          pixels.set(resizeImage(img.data, img.height, img.width, 3, size, size, 'lanczos', { roundTo8Bit: true }), i * px);
        }
      }
      return { meta: { classes }, arrays: { pixels } };
    },
  });
  const meta = result.payload.meta as { classes?: Array<{ id: string; firstExample: number; count: number; files: string[] }> };
  const pixels = result.payload.arrays['pixels'];
  if (!Array.isArray(meta.classes) || !(pixels instanceof Uint8Array)) {
    throw new MetaLearnError('corruptData', `loadMiniImageNet: cache file ${result.file} has a valid checksum but no classes/pixels`);
  }
  const specs: Uint8ClassSpec[] = meta.classes.map((c) => ({ id: c.id, firstExample: c.firstExample, count: c.count }));
  const ds = createUint8ImageDataset(`mini-imagenet/${split}`, [size, size, 3], pixels, specs);
  let listedPerClass: Record<string, number> | undefined;
  if (csv !== undefined) {
    listedPerClass = {};
    for (const label of csv.values()) listedPerClass[label] = (listedPerClass[label] ?? 0) + 1;
  }
  return {
    ...ds,
    split,
    archive: path,
    cacheStatus: result.status,
    elapsedMs: result.elapsedMs,
    files: meta.classes.map((c) => c.files),
    ...(listedPerClass ? { listedPerClass } : {}),
  };
}
