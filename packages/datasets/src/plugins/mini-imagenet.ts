/**
 * The `'mini-imagenet'` dataset plugin: a Ravi & Larochelle split (mini-imagenet.ts) sampled
 * N-way K-shot (episode-sampler.ts; episode `i` depends only on `args.seed` and `i`).
 * Splits: `train`, `val`, `test`. Options: `cacheDir` (a path, or `false`), `imageSize` (84),
 * `archive` (file or folder under `mini-imagenet/`, e.g. `train-200.tar`), `warp` (an affine
 * distribution shift applied to every image, see warp.ts).
 */
import type { DatasetArgs, DatasetPlugin, EpisodeSource } from '@metalearn/core';
import { createEpisodeSampler } from '../episode-sampler.js';
import { MINI_IMAGENET_SPLITS, loadMiniImageNet, type MiniImageNetSplit } from '../mini-imagenet.js';
import { warpDataset } from '../warp.js';
import { checkSplit, readCacheDirOption, readOption, readWarpOption, rejectUnknownOptions } from './options.js';

/**
 * Loads a mini-ImageNet split and returns its episode source.
 * @throws MetaLearnError `invalidArgument` on an unknown split or option; the loader's errors.
 */
export async function openMiniImageNet(args: DatasetArgs): Promise<EpisodeSource> {
  const fn = 'miniImageNetPlugin.create';
  checkSplit(fn, args.split, MINI_IMAGENET_SPLITS);
  rejectUnknownOptions(fn, args.options, ['cacheDir', 'imageSize', 'archive', 'warp']);
  const warp = readWarpOption(fn, args.options);
  const imageSize = readOption(fn, args.options, 'imageSize', 'number');
  const archive = readOption(fn, args.options, 'archive', 'string');
  const cacheDir = readCacheDirOption(fn, args.options);
  const ds = await loadMiniImageNet({
    split: args.split as MiniImageNetSplit,
    ...(imageSize !== undefined ? { imageSize } : {}),
    ...(archive !== undefined ? { archive } : {}),
    ...(args.dataDir !== undefined ? { dataDir: args.dataDir } : {}),
    ...(cacheDir !== undefined ? { cacheDir } : {}),
  });
  return createEpisodeSampler(warp ? warpDataset(ds, warp) : ds, { ways: args.ways, shots: args.shots, queryShots: args.queryShots, seed: args.seed });
}

/** The `'mini-imagenet'` dataset plugin. */
export const miniImageNetPlugin: DatasetPlugin = {
  kind: 'dataset',
  name: 'mini-imagenet',
  summary: 'mini-ImageNet 84x84 RGB in [0, 1], Ravi & Larochelle splits (64/16/20 classes), from the tars',
  provider: '@metalearn/datasets',
  create: openMiniImageNet,
};
