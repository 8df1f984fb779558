/**
 * The 20 official Omniglot one-shot classification runs (Lake, Salakhutdinov & Tenenbaum 2015,
 * `all_runs.zip`): each run is a 20-way 1-shot task within one evaluation alphabet, with 20
 * training drawings (`runNN/training/classNN.png`, one per class) and 20 test drawings
 * (`runNN/test/itemNN.png`) whose true class is listed in `runNN/class_labels.txt`
 * (`runNN/test/itemNN.png runNN/training/classNN.png` per line). The published error rates
 * (people 4.5%, BPL 3.3%, Siamese convnet 8.0%, ...) are the mean over these 20 runs.
 *
 * The PNGs have the same format as the main archives (105x105, 1-bit grayscale, checked on all
 * 800 files) and are preprocessed by exactly the same function (omniglot-preprocess.ts).
 *
 * Each run becomes an episode with `ways = 20`, `shots = 1`, `queryShots = 1`: support =
 * `class01 .. class20` with labels `0 .. 19`; query = `item01 .. item20` in file order, each
 * labelled with its class (every class has exactly one test item; verified).
 *
 * Layout: `<dataDir>/omniglot/all_runs.zip`, or an extracted `all_runs/` folder holding `runNN/`.
 *
 * @see Lake et al. 2015, "Human-level concept learning through probabilistic program
 *   induction", Science 350 (the one-shot classification task, Fig. 3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, disposeEpisode } from '@metalearn/core';
import { openArchive } from './archive.js';
import { findFirst, resolveDataDir } from './data-dir.js';
import type { ImageEpisode } from './episode-sampler.js';
import { omniglotPreprocessDefaults, preprocessOmniglotPng, type OmniglotPreprocessOptions } from './omniglot-preprocess.js';
import { omniglotRoot } from './omniglot.js';

/** Options of {@link readOneShotRuns}. */
export interface OneShotRunsOptions extends OmniglotPreprocessOptions {
  /** Data directory; default `METALEARN_DATA_DIR`. */
  readonly dataDir?: string;
}

/** One run, as numbers (no tensors). `S` = image size. */
export interface OneShotRun {
  /** `'run01'` .. `'run20'`. */
  readonly run: string;
  /** float32 `[20, S, S, 1]`, class01 .. class20, ink = 1. */
  readonly supportX: Float32Array;
  /** int32 `[20]` = 0 .. 19. */
  readonly supportY: Int32Array;
  /** float32 `[20, S, S, 1]`, item01 .. item20. */
  readonly queryX: Float32Array;
  /** int32 `[20]`: the label (class number − 1) of each test item. */
  readonly queryY: Int32Array;
  /** `training/classNN.png`, in label order. */
  readonly supportFiles: readonly string[];
  /** `test/itemNN.png`, in query order. */
  readonly queryFiles: readonly string[];
  readonly imageSize: number;
}

/** A one-shot run as an episode; `classIds[l]` is `runNN/training/classNN.png` of label `l`. */
export interface OneShotRunEpisode extends ImageEpisode {
  readonly run: string;
  readonly queryFiles: readonly string[];
}

/**
 * Reads and preprocesses the 20 runs.
 *
 * @param options - data directory, image size and resize filter (as the Omniglot loader).
 * @returns 20 runs, `run01` first.
 * @throws MetaLearnError `dataNotFound` when `all_runs` is absent; `corruptData` when a run
 *   lacks files, a label line is malformed or names a missing file, or a class has not exactly
 *   one test item.
 */
export async function readOneShotRuns(options: OneShotRunsOptions = {}): Promise<OneShotRun[]> {
  const pre = omniglotPreprocessDefaults('readOneShotRuns', options);
  const root = omniglotRoot(resolveDataDir(options.dataDir));
  const path = findFirst('readOneShotRuns', 'the one-shot runs (all_runs)', root, ['all_runs.zip', 'all_runs']);
  const source = await openArchive(path);
  const pattern = /(?:^|\/)(run\d\d)\/(class_labels\.txt|training\/class\d\d\.png|test\/item\d\d\.png)$/;
  const files = new Map<string, Uint8Array>();
  for (const e of await source.readFiles((p) => pattern.test(p))) {
    const m = pattern.exec(e.path)!;
    files.set(`${m[1]}/${m[2]}`, e.bytes);
  }
  const runs = [...new Set([...files.keys()].map((k) => k.slice(0, 5)))].sort();
  if (runs.length === 0) throw new MetaLearnError('dataNotFound', `readOneShotRuns: ${path} holds no runNN/ folder`);
  const s = pre.imageSize;
  const px = s * s;
  const out: OneShotRun[] = [];
  for (const run of runs) {
    const labelsBytes = files.get(`${run}/class_labels.txt`);
    if (!labelsBytes) throw new MetaLearnError('corruptData', `readOneShotRuns: ${path} has no ${run}/class_labels.txt`);
    const supportFiles = [...files.keys()].filter((k) => k.startsWith(`${run}/training/`)).sort().map((k) => k.slice(6));
    const ways = supportFiles.length;
    const lines = new TextDecoder().decode(labelsBytes).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    const supportX = new Uint8Array(ways * px);
    for (const [l, f] of supportFiles.entries()) preprocessOmniglotPng(files.get(`${run}/${f}`)!, `${path}:${run}/${f}`, pre, supportX, l * px);
    const queryX = new Uint8Array(lines.length * px);
    const queryY = new Int32Array(lines.length);
    const queryFiles: string[] = [];
    const seen = new Set<number>();
    for (const [i, line] of lines.entries()) {
      const m = new RegExp(`^${run}/(test/item\\d\\d\\.png)\\s+${run}/(training/class\\d\\d\\.png)$`).exec(line);
      if (!m) throw new MetaLearnError('corruptData', `readOneShotRuns: ${run}/class_labels.txt line ${i + 1} must be '${run}/test/itemNN.png ${run}/training/classNN.png', got '${line}'`);
      const label = supportFiles.indexOf(m[2]!);
      const item = files.get(`${run}/${m[1]}`);
      if (label < 0 || item === undefined) throw new MetaLearnError('corruptData', `readOneShotRuns: ${run}/class_labels.txt line ${i + 1} names a missing file ('${line}')`);
      if (seen.has(label)) throw new MetaLearnError('corruptData', `readOneShotRuns: ${run} has more than one test item of ${m[2]} (a 1-query-per-class episode needs exactly one)`);
      seen.add(label);
      preprocessOmniglotPng(item, `${path}:${run}/${m[1]}`, pre, queryX, i * px);
      queryY[i] = label;
      queryFiles.push(m[1]!);
    }
    if (seen.size !== ways) throw new MetaLearnError('corruptData', `readOneShotRuns: ${run} has test items for ${seen.size} of its ${ways} classes`);
    const toFloat = (q: Uint8Array): Float32Array => Float32Array.from(q, (v) => v / 255);
    out.push({
      run,
      supportX: toFloat(supportX),
      supportY: Int32Array.from(supportFiles, (_, l) => l),
      queryX: toFloat(queryX),
      queryY,
      supportFiles,
      queryFiles,
      imageSize: s,
    });
  }
  return out;
}

/**
 * One run as an episode (new tensors; the caller disposes them with `disposeEpisode`).
 * @returns `support.x: float32 [20, S, S, 1]`, `support.y: int32 [20]`, `query.x: float32
 *   [20, S, S, 1]`, `query.y: int32 [20]`; `ways = 20`, `shots = 1`, `queryShots = 1`.
 */
export function oneShotRunEpisode(run: OneShotRun): OneShotRunEpisode {
  const s = run.imageSize;
  const ways = run.supportY.length;
  return {
    kind: 'classification',
    ways,
    shots: 1,
    queryShots: run.queryY.length / ways,
    support: { x: tf.tensor4d(run.supportX, [ways, s, s, 1], 'float32'), y: tf.tensor1d(run.supportY, 'int32') },
    query: { x: tf.tensor4d(run.queryX, [run.queryY.length, s, s, 1], 'float32'), y: tf.tensor1d(run.queryY, 'int32') },
    classIds: run.supportFiles.map((f) => `${run.run}/${f}`),
    run: run.run,
    queryFiles: run.queryFiles,
  };
}

/**
 * The 20 runs as episodes (20-way 1-shot, one query per class).
 * @returns 20 new episodes; the caller disposes them.
 * @throws MetaLearnError as {@link readOneShotRuns}.
 * @example
 * const runs = await loadOneShotRuns();
 * const errorPct = 100 * (1 - mean(runs.map((e) => learner.evaluate(e).accuracy!)));
 * runs.forEach(disposeEpisode);
 */
export async function loadOneShotRuns(options: OneShotRunsOptions = {}): Promise<OneShotRunEpisode[]> {
  const runs = await readOneShotRuns(options);
  const out: OneShotRunEpisode[] = [];
  try {
    for (const r of runs) out.push(oneShotRunEpisode(r));
  } catch (e) {
    out.forEach(disposeEpisode);
    throw e;
  }
  return out;
}
