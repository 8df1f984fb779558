/**
 * Our side of a configuration in its own child process (`metalearn bench speed --worker '<json>'`,
 * like the peer's `--worker`), so that the peak resident set (`maxRSS`) of each configuration is
 * its own and no configuration warms the caches or the heap of the next.
 */
import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';
import { lastJsonLine } from './last-json-line.js';
import type { OursTiming } from './time-configuration.js';

/** What a worker process times: one configuration, the timing plan, the backend and the seed. */
export interface SpeedWorkerSpec {
  readonly problem: string;
  readonly learner: string;
  readonly innerSteps: number;
  readonly warmupSteps: number;
  readonly minTimed: number;
  readonly maxTimed: number;
  readonly minSeconds: number;
  readonly seed: number;
  readonly backend?: 'tensorflow' | 'wasm' | 'cpu';
  /** Threads sharing each meta-batch (`--workers`; default 1: the serial step). */
  readonly workers?: number;
}

/** The zod schema of {@link SpeedWorkerSpec} (unknown keys rejected). */
export const speedWorkerSpecSchema = z
  .object({
    problem: z.string().min(1),
    learner: z.string().min(1),
    innerSteps: z.number().int().min(1),
    warmupSteps: z.number().int().min(0),
    minTimed: z.number().int().min(1),
    maxTimed: z.number().int().min(1),
    minSeconds: z.number().min(0).finite(),
    seed: z.number().int().min(0),
    backend: z.enum(['tensorflow', 'wasm', 'cpu']).optional(),
    workers: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * Validates a `--worker` JSON value.
 * @param value - the parsed JSON.
 * @returns the spec.
 * @throws MetaLearnError `invalidArgument` naming `--worker` and the bad field.
 */
export function parseSpeedWorkerSpec(value: unknown): SpeedWorkerSpec {
  const s = parseOptions(speedWorkerSpecSchema, value, 'bench speed', '--worker');
  if (s.maxTimed < s.minTimed) throw new MetaLearnError('invalidArgument', `bench speed: --worker.maxTimed must be >= minTimed (${s.minTimed}), got ${s.maxTimed}`);
  return s;
}

/** The command that runs the CLI: an executable and the arguments before `bench speed ...`. */
export interface CliCommand {
  readonly execPath: string;
  readonly args: readonly string[];
}

/**
 * The command of this process's own CLI: the same node, the same node flags (e.g. a TypeScript
 * loader and `--conditions=source`) and the same entry script.
 * @throws MetaLearnError `invalidArgument` when this process has no entry script.
 */
export function currentCliCommand(): CliCommand {
  const entry = process.argv[1];
  if (entry === undefined) throw new MetaLearnError('invalidArgument', 'currentCliCommand: this process has no entry script (process.argv[1]) to spawn workers from');
  return { execPath: process.execPath, args: [...process.execArgv, entry] };
}

/** Fields a worker's JSON line must carry as finite numbers. */
const NUMERIC_FIELDS = ['medianMs', 'p95Ms', 'tasksPerSecond', 'peakRssBytes', 'tensorsBefore', 'tensorsAfter', 'timedSteps'] as const;

/**
 * Runs one configuration in a child process and returns its timing.
 * @param spec - the configuration and timing plan.
 * @param cli - how to start the CLI (default: {@link currentCliCommand}).
 * @param timeoutMs - kill the child after this long (default 30 minutes).
 * @returns the child's {@link OursTiming}.
 * @throws MetaLearnError `notConverged` when the child fails or times out (with its stderr's
 *   end), `corruptData` when its last JSON line lacks a field.
 */
export function runSpeedWorkerProcess(spec: SpeedWorkerSpec, cli: CliCommand = currentCliCommand(), timeoutMs = 30 * 60_000): OursTiming {
  const r = spawnSync(cli.execPath, [...cli.args, 'bench', 'speed', '--worker', JSON.stringify(spec)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : `exit code ${r.status}${r.signal ? `, signal ${r.signal}` : ''}`;
    throw new MetaLearnError('notConverged', `bench speed: the worker of ${spec.problem}/${spec.learner}-${spec.innerSteps} failed (${why}): ${(r.stderr ?? '').trim().slice(-600)}`);
  }
  const out = lastJsonLine(r.stdout, `the worker of ${spec.problem}/${spec.learner}-${spec.innerSteps}`);
  for (const k of NUMERIC_FIELDS) {
    if (typeof out[k] !== 'number' || !Number.isFinite(out[k])) throw new MetaLearnError('corruptData', `bench speed: the worker's record has no finite ${k}: ${JSON.stringify(out).slice(0, 300)}`);
  }
  return out as unknown as OursTiming;
}
