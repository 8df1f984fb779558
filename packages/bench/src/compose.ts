/**
 * Builds a learner from a run configuration by resolving every part by name from the plugin
 * container: backbone, head, inner solver and outer rule (learner). Third-party parts registered
 * in the container are found the same way as first-party ones.
 */
import type { Container } from 'inversify';
import { resolvePlugin, type Learner, type PluginOptions, type TaskKind } from '@metalearn/core';
import { getPreset, type PresetInputs } from './presets.js';
import type { RunConfig } from './run-config.js';

/** What the composition needs to know about the episodes. */
export interface TaskShape {
  readonly kind: TaskKind;
  readonly ways: number;
  readonly inputShape: readonly number[];
}

/** The names and options a run resolved to (recorded in checkpoints and results). */
export interface Composition {
  readonly backbone: string;
  readonly backboneOptions: PluginOptions;
  readonly head: string;
  readonly solver: string;
  readonly solverOptions: PluginOptions;
  readonly outerRule: string;
  readonly learnerOptions: PluginOptions;
}

/** Backbone defaults per backbone name and input (the MAML paper's networks). */
function backboneDefaults(name: string, inputShape: readonly number[]): PluginOptions {
  if (name === 'mlp') return { hiddenSizes: [40, 40], activation: 'relu' };
  if (name === 'conv4') {
    const side = inputShape[0] ?? 0;
    return side > 28 ? { filters: 32, variant: 'maxpool' } : { filters: 64, variant: 'strided' };
  }
  return {};
}

/**
 * Resolves the composition of a run: preset (or explicit solver), then config overrides.
 * @param config - the run configuration.
 * @param task - the episode family.
 * @param overrides - extra solver options (e.g. `evalInnerSteps` at evaluation).
 * @throws MetaLearnError `unknownPlugin` for an unknown preset.
 */
export function resolveComposition(config: RunConfig, task: TaskShape, overrides: PluginOptions = {}): Composition {
  const inputs: PresetInputs = { innerSteps: config.innerSteps, evalInnerSteps: config.evalInnerSteps, innerLr: config.innerLr, metaSteps: config.metaSteps, backbone: config.backbone };
  const preset = config.solver === undefined ? getPreset(config.learner) : undefined;
  const solver = config.solver ?? preset!.solver;
  const solverBase: PluginOptions = preset ? preset.solverOptions(inputs) : {};
  const learnerBase: PluginOptions = preset?.learnerOptions?.(inputs) ?? {};
  const learnerOptions: PluginOptions = { outerLr: config.outerLr, ...learnerBase, ...config.learnerOptions };
  return {
    backbone: config.backbone,
    backboneOptions: { ...backboneDefaults(config.backbone, task.inputShape), ...(preset?.backboneOptions?.(inputs) ?? {}), ...config.backboneOptions },
    head: config.head,
    solver,
    solverOptions: { ...solverBase, ...config.solverOptions, ...overrides },
    outerRule: config.outerRule ?? preset?.learner ?? 'backprop',
    learnerOptions: learnerOptions['outerLrSchedule'] === 'cosine' && learnerOptions['totalSteps'] === undefined ? { ...learnerOptions, totalSteps: config.metaSteps } : learnerOptions,
  };
}

/**
 * Creates the learner of a composition.
 * @param container - the host container (first- and third-party modules).
 * @param c - the resolved composition.
 * @param task - the episode family.
 * @param seed - seed of the meta-parameters' initialisation.
 * @throws MetaLearnError `unknownPlugin` / `invalidArgument` from the parts' factories.
 */
export function createComposedLearner(container: Container, c: Composition, task: TaskShape, seed: number): Learner {
  const backbone = resolvePlugin(container, 'backbone', c.backbone).create({ inputShape: task.inputShape, options: c.backboneOptions });
  const head = resolvePlugin(container, 'head', c.head).create(undefined);
  const solver = resolvePlugin(container, 'innerSolver', c.solver).create(c.solverOptions);
  return resolvePlugin(container, 'learner', c.outerRule).create({ backbone, head, solver, task: { kind: task.kind, ways: task.ways }, seed, options: c.learnerOptions });
}
