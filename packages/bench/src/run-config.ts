/**
 * The configuration of a training run: from a JSON config file, CLI flags, or both (flags win).
 * Validated with zod; an unknown or malformed field is a `MetaLearnError` naming it.
 * Defaults follow the MAML paper per dataset (Finn et al. 2017, sec. 5 and appendix A.1).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';

const int1 = z.number().int().min(1);
const options = z.record(z.string(), z.unknown());

/** The zod schema of a run configuration (unknown keys rejected). */
export const runConfigSchema = z
  .object({
    learner: z.string().min(1).default('maml'),
    solver: z.string().min(1).optional(),
    solverOptions: options.default({}),
    outerRule: z.string().min(1).optional(),
    learnerOptions: options.default({}),
    backbone: z.string().min(1).optional(),
    backboneOptions: options.default({}),
    head: z.string().min(1).default('linear'),
    dataset: z.string().min(1).default('sinusoid'),
    datasetOptions: options.default({}),
    ways: int1.optional(),
    shots: int1.optional(),
    queryShots: int1.optional(),
    innerSteps: int1.optional(),
    evalInnerSteps: int1.optional(),
    innerLr: z.number().positive().finite().optional(),
    metaSteps: int1.optional(),
    metaBatch: int1.optional(),
    outerLr: z.number().positive().finite().optional(),
    seed: z.number().int().min(0).default(0),
    checkpointEvery: int1.default(500),
    logEvery: int1.default(50),
    // A 95% interval needs at least two episodes.
    evalEpisodes: z.number().int().min(2).default(600),
    maxMinutes: z.number().positive().finite().optional(),
    workers: int1.optional(),
    plugins: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** A run configuration as written by the user (before defaults by dataset). */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** A complete run configuration: every field resolved. */
export interface RunConfig {
  readonly learner: string;
  readonly solver?: string;
  readonly solverOptions: Readonly<Record<string, unknown>>;
  readonly outerRule?: string;
  readonly learnerOptions: Readonly<Record<string, unknown>>;
  readonly backbone: string;
  readonly backboneOptions: Readonly<Record<string, unknown>>;
  readonly head: string;
  readonly dataset: string;
  readonly datasetOptions: Readonly<Record<string, unknown>>;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly innerLr: number;
  readonly metaSteps: number;
  readonly metaBatch: number;
  readonly outerLr: number;
  readonly seed: number;
  readonly checkpointEvery: number;
  readonly logEvery: number;
  readonly evalEpisodes: number;
  /** Wall-clock budget of this training session in minutes: stop (with a checkpoint) when it is spent. */
  readonly maxMinutes?: number;
  /**
   * Threads sharing each meta-batch (the main one included; 1: serial). Recorded with the run: a
   * run is bitwise reproducible for a given value (the meta-gradient parts are summed in a fixed
   * order), and equal across values up to float32 rounding. `--resume` may change it.
   */
  readonly workers?: number;
  /**
   * Third-party plug-in modules (`--plugin`): module paths or package names exporting inversify
   * `ContainerModule`s, loaded beside the first-party ones in the main thread and every worker.
   * Recorded resolved (absolute `file:` URLs where possible), so `--resume` and `eval` find them.
   */
  readonly plugins?: readonly string[];
}

/** Per-dataset defaults (MAML paper settings; sinusoid budget cut to finish in minutes). */
const DATASET_DEFAULTS: Readonly<Record<string, Partial<RunConfig>>> = {
  sinusoid: { backbone: 'mlp', ways: 1, shots: 10, queryShots: 10, innerSteps: 1, evalInnerSteps: 10, innerLr: 0.01, metaSteps: 3000, metaBatch: 25, outerLr: 1e-3 },
  omniglot: { backbone: 'conv4', ways: 5, shots: 1, queryShots: 15, innerSteps: 1, evalInnerSteps: 3, innerLr: 0.4, metaSteps: 20000, metaBatch: 32, outerLr: 1e-3 },
  'mini-imagenet': { backbone: 'conv4', ways: 5, shots: 1, queryShots: 15, innerSteps: 5, evalInnerSteps: 10, innerLr: 0.01, metaSteps: 60000, metaBatch: 4, outerLr: 1e-3 },
};

/**
 * Parses and completes a configuration.
 * @param input - the merged config file and flags.
 * @returns every field set; unknown datasets must give every size explicitly.
 * @throws MetaLearnError `invalidArgument` naming every bad field and the value given
 *   ({@link parseOptions}), or a size the dataset has no default for.
 */
export function resolveRunConfig(input: unknown): RunConfig {
  const c = parseOptions(runConfigSchema, input, 'resolveRunConfig', 'config');
  const d = DATASET_DEFAULTS[c.dataset] ?? {};
  const pick = <K extends keyof RunConfig>(k: K): NonNullable<RunConfig[K]> => {
    const v = (c as Record<string, unknown>)[k] ?? d[k];
    if (v === undefined) throw new MetaLearnError('invalidArgument', `resolveRunConfig: config.${k} is required for dataset '${c.dataset}', which has no defaults (the built-in datasets with defaults: ${Object.keys(DATASET_DEFAULTS).join(', ')}; a third-party dataset needs every size given)`);
    return v as NonNullable<RunConfig[K]>;
  };
  const innerSteps = pick('innerSteps');
  return {
    ...c,
    backbone: pick('backbone'),
    ways: pick('ways'),
    shots: pick('shots'),
    queryShots: pick('queryShots'),
    innerSteps,
    evalInnerSteps: c.evalInnerSteps ?? d.evalInnerSteps ?? innerSteps,
    innerLr: pick('innerLr'),
    metaSteps: pick('metaSteps'),
    metaBatch: pick('metaBatch'),
    outerLr: pick('outerLr'),
  };
}

/**
 * Reads a JSON config file.
 * @throws MetaLearnError `invalidArgument` when the file is missing or not a JSON object.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MetaLearnError('invalidArgument', `readConfigFile: --config ${path} cannot be read`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MetaLearnError('invalidArgument', `readConfigFile: --config ${path} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MetaLearnError('invalidArgument', `readConfigFile: --config ${path} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
