/**
 * Opens the episode source of a run's dataset split through the dataset plug-in of that name.
 */
import type { Container } from 'inversify';
import { resolvePlugin, type EpisodeSource } from '@metalearn/core';
import type { RunConfig } from './run-config.js';

/** Which split each dataset meta-trains and meta-tests on by default (Vinyals splits for Omniglot). */
export const DEFAULT_SPLITS: Readonly<Record<string, { train: string; test: string }>> = {
  sinusoid: { train: 'train', test: 'test' },
  omniglot: { train: 'train', test: 'test' },
  'mini-imagenet': { train: 'train', test: 'test' },
};

/**
 * The episode source of `config.dataset` on `split`.
 * @param container - host container (dataset plug-ins).
 * @param config - the run configuration (episode shape, dataset options).
 * @param split - split name, e.g. `'train'`, `'test'`, `'background'`.
 * @param seed - seed of the episodes (meta-training: the run seed; evaluation: the eval seed).
 * @param dataDir - the `--data-dir` flag, else `METALEARN_DATA_DIR`.
 * @throws MetaLearnError `unknownPlugin`, `dataNotFound`, `notEnoughExamples`.
 */
export async function openSource(container: Container, config: RunConfig, split: string, seed: number, dataDir?: string): Promise<EpisodeSource> {
  return resolvePlugin(container, 'dataset', config.dataset).create({
    split,
    ways: config.ways,
    shots: config.shots,
    queryShots: config.queryShots,
    seed,
    ...(dataDir !== undefined ? { dataDir } : {}),
    options: config.datasetOptions,
  });
}
