/**
 * The `'omniglot'` dataset plugin: an Omniglot split (omniglot.ts) sampled N-way K-shot
 * (episode-sampler.ts; episode `i` depends only on `args.seed` and `i`), or the split
 * `'one-shot-runs'`: the 20 official 20-way 1-shot runs (one-shot-runs.ts; needs `ways = 20,
 * shots = 1, queryShots = 1`; episodes 0..19, `size = 20`).
 * Splits: `train`, `val`, `test`, `trainval` (Vinyals), `background`, `evaluation`,
 * `background-small1`, `background-small2` (official), `one-shot-runs`.
 * Options: `cacheDir` (a path, or `false`), `resize` (`area`, `lanczos`, `nearest`),
 * `imageSize` (28), `rotations` (see {@link OmniglotOptions.rotations}), `warp` (an affine
 * distribution shift applied to every image, see warp.ts; not to the one-shot runs).
 */
import { MetaLearnError, type DatasetArgs, type DatasetPlugin, type EpisodeSource } from '@metalearn/core';
import { createEpisodeSampler } from '../episode-sampler.js';
import { loadOmniglot, type OmniglotOptions } from '../omniglot.js';
import { omniglotPreprocessDefaults } from '../omniglot-preprocess.js';
import { OMNIGLOT_SPLITS, type OmniglotSplit } from '../omniglot-splits.js';
import { oneShotRunEpisode, readOneShotRuns } from '../one-shot-runs.js';
import type { ResizeMethod } from '../resize.js';
import { warpDataset } from '../warp.js';
import { checkSplit, readCacheDirOption, readOption, readWarpOption, rejectUnknownOptions } from './options.js';

/** The splits of the Omniglot plugin. */
export const OMNIGLOT_PLUGIN_SPLITS: readonly string[] = [...OMNIGLOT_SPLITS, 'one-shot-runs'];

/**
 * Loads an Omniglot split and returns its episode source.
 * @throws MetaLearnError `invalidArgument` on an unknown split or option, a mistyped option, or
 *   a one-shot-runs spec other than 20-way 1-shot 1-query; the loaders' errors.
 */
export async function openOmniglot(args: DatasetArgs): Promise<EpisodeSource> {
  const fn = 'omniglotPlugin.create';
  checkSplit(fn, args.split, OMNIGLOT_PLUGIN_SPLITS);
  rejectUnknownOptions(fn, args.options, ['cacheDir', 'resize', 'imageSize', 'rotations', 'warp']);
  const resize = readOption(fn, args.options, 'resize', 'string') as ResizeMethod | undefined;
  const imageSize = readOption(fn, args.options, 'imageSize', 'number');
  const pre = omniglotPreprocessDefaults(fn, { ...(resize !== undefined ? { resize } : {}), ...(imageSize !== undefined ? { imageSize } : {}) });
  const cacheDir = readCacheDirOption(fn, args.options);
  const rotations = readOption(fn, args.options, 'rotations', 'boolean');
  const warp = readWarpOption(fn, args.options);
  const dataDir = args.dataDir !== undefined ? { dataDir: args.dataDir } : {};
  if (args.split === 'one-shot-runs') {
    if (warp) throw new MetaLearnError('invalidArgument', `${fn}: options.warp does not apply to the one-shot runs (the official evaluation)`);
    if (args.ways !== 20 || args.shots !== 1 || args.queryShots !== 1) {
      throw new MetaLearnError('invalidArgument', `${fn}: the one-shot runs are 20-way 1-shot with one query per class; args must have ways 20, shots 1, queryShots 1, got ${args.ways}, ${args.shots}, ${args.queryShots}`);
    }
    const runs = await readOneShotRuns({ ...pre, ...dataDir });
    const episode = (index: number) => {
      const r = runs[index];
      if (!Number.isInteger(index) || r === undefined) throw new MetaLearnError('invalidArgument', `omniglot/one-shot-runs.episode: index must be an integer in [0, ${runs.length}), got ${index}`);
      return oneShotRunEpisode(r);
    };
    return {
      name: 'omniglot/one-shot-runs',
      kind: 'classification',
      inputShape: [pre.imageSize, pre.imageSize, 1],
      ways: 20,
      shots: 1,
      queryShots: 1,
      size: runs.length,
      episode,
      metaBatch: (b, n) => Array.from({ length: n }, (_, j) => episode(b * n + j)),
    };
  }
  const opts: OmniglotOptions = {
    split: args.split as OmniglotSplit,
    ...pre,
    ...dataDir,
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    ...(rotations !== undefined ? { rotations } : {}),
  };
  const ds = await loadOmniglot(opts);
  return createEpisodeSampler(warp ? warpDataset(ds, warp) : ds, { ways: args.ways, shots: args.shots, queryShots: args.queryShots, seed: args.seed });
}

/** The `'omniglot'` dataset plugin. */
export const omniglotPlugin: DatasetPlugin = {
  kind: 'dataset',
  name: 'omniglot',
  summary: 'Omniglot 28x28 (ink = 1), Vinyals or official splits, 90-degree rotations as classes, and the 20 one-shot runs',
  provider: '@metalearn/datasets',
  create: openOmniglot,
};
