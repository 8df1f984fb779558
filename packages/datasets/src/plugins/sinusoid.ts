/**
 * The `'sinusoid'` dataset plugin: MAML's sinusoid regression tasks (sinusoid.ts).
 * Options: `amplitudeRange`, `phaseRange`, `xRange` (`[lo, hi]` arrays; MAML's defaults).
 * Splits `train`, `val`, `test` are independent task streams: split `s` uses the base seed
 * `deriveSeed(args.seed, 'sinusoid-split', s)`, so meta-test tasks never repeat meta-training ones.
 * `args.ways` must be 1 (one output); `args.dataDir` is not used.
 */
import { MetaLearnError, deriveSeed, type DatasetArgs, type DatasetPlugin, type EpisodeSource } from '@metalearn/core';
import { createSinusoidSource } from '../sinusoid.js';
import { checkSplit, readRangeOption, rejectUnknownOptions } from './options.js';

/** The splits of the sinusoid plugin. */
export const SINUSOID_SPLITS: readonly string[] = ['train', 'val', 'test'];

/**
 * Opens a sinusoid task stream.
 * @throws MetaLearnError `invalidArgument` on an unknown split or option, a malformed range,
 *   `ways !== 1`, or bad shots / queryShots / seed.
 */
export async function openSinusoid(args: DatasetArgs): Promise<EpisodeSource> {
  const fn = 'sinusoidPlugin.create';
  checkSplit(fn, args.split, SINUSOID_SPLITS);
  rejectUnknownOptions(fn, args.options, ['amplitudeRange', 'phaseRange', 'xRange']);
  if (args.ways !== 1) throw new MetaLearnError('invalidArgument', `${fn}: args.ways must be 1 (one output), got ${args.ways}`);
  if (!Number.isSafeInteger(args.seed)) throw new MetaLearnError('invalidArgument', `${fn}: args.seed must be a safe integer, got ${args.seed}`);
  const amplitudeRange = readRangeOption(fn, args.options, 'amplitudeRange');
  const phaseRange = readRangeOption(fn, args.options, 'phaseRange');
  const xRange = readRangeOption(fn, args.options, 'xRange');
  const source = createSinusoidSource({
    shots: args.shots,
    queryShots: args.queryShots,
    seed: deriveSeed(args.seed, 'sinusoid-split', args.split),
    ...(amplitudeRange ? { amplitudeRange } : {}),
    ...(phaseRange ? { phaseRange } : {}),
    ...(xRange ? { xRange } : {}),
  });
  return { ...source, name: `sinusoid/${args.split}` };
}

/** The `'sinusoid'` dataset plugin. */
export const sinusoidPlugin: DatasetPlugin = {
  kind: 'dataset',
  name: 'sinusoid',
  summary: 'sinusoid regression, A sin(x - phase), A in [0.1, 5], phase in [0, pi], x in [-5, 5] (MAML sec. 5.1)',
  provider: '@metalearn/datasets',
  create: openSinusoid,
};
