/**
 * The one place where `bench speed` creates the learner of a configuration: a run configuration
 * (preset by name, the problem's sizes and rates, the row's option overrides) resolved and
 * composed through the plug-in container exactly as `metalearn train` does, so every registered
 * preset can be timed.
 */
import type { Container } from 'inversify';
import type { Learner } from '@metalearn/core';
import { createComposedLearner, resolveComposition, type Composition, type TaskShape } from '../compose.js';
import { resolveRunConfig, type RunConfig } from '../run-config.js';
import { PEER_META_LR, type SpeedConfiguration } from './configurations.js';

/** A learner built for a configuration, with what it was composed from. */
export interface SpeedLearner {
  readonly learner: Learner;
  readonly config: RunConfig;
  readonly composition: Composition;
  readonly task: TaskShape;
}

/**
 * The run configuration of a speed configuration: dataset defaults, then the peer's sizes
 * (ways, shots, query shots, meta-batch), inner steps and lr, outer lr `PEER_META_LR` (Adam,
 * the backprop learner's default optimizer), the peer's network, and the row's overrides.
 * @param c - the configuration.
 * @param seed - seed of the meta-parameters.
 * @returns the resolved configuration.
 * @throws MetaLearnError `invalidArgument` from {@link resolveRunConfig}.
 */
export function speedRunConfig(c: SpeedConfiguration, seed: number): RunConfig {
  const p = c.problem;
  return resolveRunConfig({
    learner: c.row.learner,
    dataset: p.dataset,
    backbone: p.backbone,
    backboneOptions: p.backboneOptions,
    ways: p.ways,
    shots: p.shots,
    queryShots: p.queryShots,
    innerSteps: c.row.innerSteps,
    evalInnerSteps: c.row.innerSteps,
    innerLr: p.innerLr,
    metaBatch: p.metaBatch,
    outerLr: PEER_META_LR,
    solverOptions: c.row.solverOptions,
    learnerOptions: c.row.learnerOptions,
    seed,
  });
}

/**
 * Creates the learner of a configuration from the container (presets by name, parts resolved by
 * plug-in name). A later `--workers N` option splits the meta-batch over worker threads: each
 * thread calls this same function.
 * @param container - the host container (`createHostContainer()`).
 * @param c - the configuration.
 * @param seed - seed of the meta-parameters' initialisation.
 * @returns the learner (the caller disposes it) and its composition.
 * @throws MetaLearnError `unknownPlugin` / `invalidArgument` from the composition.
 */
export function createSpeedLearner(container: Container, c: SpeedConfiguration, seed: number): SpeedLearner {
  const config = speedRunConfig(c, seed);
  const task: TaskShape = { kind: c.problem.kind, ways: c.problem.ways, inputShape: c.problem.inputShape };
  const composition = resolveComposition(config, task);
  return { learner: createComposedLearner(container, composition, task, seed), config, composition, task };
}
