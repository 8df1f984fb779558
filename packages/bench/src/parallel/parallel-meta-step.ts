/**
 * Meta-training steps with the tasks of each meta-batch split across threads: the main thread
 * computes the first chunk's meta-gradient part itself while `workers - 1` worker threads compute
 * the others, then the learner sums the parts in chunk order and applies its outer rule.
 */
import {
  MetaLearnError, validateMetaBatch,
  type Learner, type MetaBatch, type MetaGradient, type MetaTrainMetrics,
} from '@metalearn/core';
import { splitContiguous, type TaskChunk } from './chunks.js';
import { episodeBuffers, packEpisode } from './episode-transfer.js';
import type { LearnerRecipe, WorkerReply } from './protocol.js';
import { createWorkerPool, type WorkerPool } from './worker-pool.js';

/** Options of {@link createParallelMetaStep}. */
export interface ParallelMetaStepOptions {
  /** The learner that is trained (its parameters, optimizer state and step live here). */
  readonly learner: Learner;
  /** Threads per meta-step, the main one included: an integer >= 1 (1: the serial `metaTrainStep`). */
  readonly workers: number;
  /** How each worker builds its copy of `learner` (the composition `learner` was built from). */
  readonly recipe: LearnerRecipe;
}

/** A meta-training step over `workers` threads. */
export interface ParallelMetaStep {
  readonly workers: number;
  /**
   * One meta-step of the learner over `tasks` (which stay the caller's: dispose them after).
   * Equal to `learner.metaTrainStep(tasks)` up to float32 rounding of the sum of the parts, and
   * bitwise reproducible for a given number of workers.
   * @throws MetaLearnError the first error of a chunk in task order, naming the task (worker
   *   errors keep their kind and add the thread and chunk); the learner is then unchanged.
   */
  step(tasks: MetaBatch): Promise<MetaTrainMetrics>;
  /**
   * The meta-gradient parts of `tasks` at the learner's current point, one per chunk in task
   * order, without applying them (`step` is `learner.applyMetaGradient(await metaGradient(tasks))`).
   * @throws MetaLearnError as `step`.
   */
  metaGradient(tasks: MetaBatch): Promise<MetaGradient[]>;
  /** Stops the worker threads (no handle is left to keep the process alive); `step` then throws. Idempotent. */
  close(): Promise<void>;
}

function chunkName(c: TaskChunk): string {
  return c.end - c.start === 1 ? `tasks[${c.start}]` : `tasks[${c.start}..${c.end - 1}]`;
}

/** The error of a worker's reply (or of the pool), as a MetaLearnError of its kind when it was one. */
function workerError(settled: PromiseSettledResult<unknown>, chunk: TaskChunk | undefined, threads: number): Error | undefined {
  const where = `(in one of ${threads} worker threads, ${chunk === undefined ? 'building its learner' : `computing ${chunkName(chunk)}`})`;
  if (settled.status === 'rejected') {
    const e = settled.reason instanceof Error ? settled.reason : new Error(String(settled.reason));
    return new MetaLearnError('unsupported', `metaTrainStep: the worker thread failed ${where}: ${e.message}`, { cause: e });
  }
  const reply = settled.value as WorkerReply;
  if (reply.ok) return undefined;
  const cause = Object.assign(new Error(reply.message), reply.stack !== undefined ? { stack: reply.stack } : {});
  if (reply.kind !== undefined) return new MetaLearnError(reply.kind, `${reply.message} ${where}`, { cause });
  return new Error(`metaTrainStep: ${reply.message} ${where}`, { cause });
}

/**
 * Sets up meta-training steps over `workers` threads: with `workers = 1`, `step` is the learner's
 * own `metaTrainStep` and no thread is started; else a pool of `workers - 1` threads is started
 * and each thread builds its copy of the learner (awaited here, so the first step does not wait
 * for it). Per step, with the meta-batch of `B` tasks split into `min(B, workers)` contiguous
 * chunks ({@link splitContiguous}): the main thread exports the learner's parameters
 * (`exportParams`) and sends them with each other chunk's episodes (as transferred typed arrays)
 * to a worker, computes chunk 0's `metaGradient` itself meanwhile, awaits every part, and, if all
 * succeeded, calls `learner.applyMetaGradient(parts)` (parts summed in chunk order, divided by
 * `B`, clipped, optimizer step): the serial meta-step's value up to float32 rounding of the sum.
 *
 * @param options - the learner, the number of threads and the recipe of the workers' learners.
 * @returns the stepper; `close()` it when the run ends (also after an error).
 * @throws MetaLearnError `invalidArgument` for a bad `workers`; a worker's error while building its learner.
 * @example
 * const stepper = await createParallelMetaStep({ learner, workers: 2, recipe: { composition, task, seed, backend: 'wasm' } });
 * try { for (...) await stepper.step(tasks); } finally { await stepper.close(); }
 */
export async function createParallelMetaStep(options: ParallelMetaStepOptions): Promise<ParallelMetaStep> {
  const { learner, workers, recipe } = options;
  if (!(Number.isInteger(workers) && workers >= 1)) throw new MetaLearnError('invalidArgument', `createParallelMetaStep: options.workers must be an integer >= 1, got ${String(workers)}`);
  if (workers === 1) {
    return {
      workers,
      step: async (tasks) => learner.metaTrainStep(tasks),
      metaGradient: async (tasks) => [learner.metaGradient(tasks, { caller: 'metaTrainStep' })],
      close: async () => {},
    };
  }
  const pool: WorkerPool = createWorkerPool(workers - 1);
  try {
    const warm = await Promise.allSettled(Array.from({ length: pool.size }, () => pool.run({ recipe }, [])));
    const failed = warm.map((s) => workerError(s, undefined, pool.size)).find((e) => e !== undefined);
    if (failed !== undefined) throw failed;
  } catch (e) {
    await pool.destroy();
    throw e;
  }
  const spec = { kind: recipe.task.kind, ways: recipe.task.ways };

  let closed = false;
  const metaGradient = async (tasks: MetaBatch): Promise<MetaGradient[]> => {
    if (closed) throw new MetaLearnError('invalidArgument', 'metaTrainStep: the parallel meta-step was closed (its worker threads are stopped)');
    validateMetaBatch(tasks, 'metaTrainStep', spec, recipe.task.inputShape);
    const chunks = splitContiguous(tasks.length, workers);
    const params = learner.exportParams();
    const remote = chunks.slice(1).map((c, k) => {
      const own = k === 0 ? params : { ...params, values: Object.fromEntries(Object.entries(params.values).map(([n, a]) => [n, a.slice()])) };
      const episodes = tasks.slice(c.start, c.end).map((e, i) => packEpisode(e, `tasks[${c.start + i}]`));
      const transfer = [...Object.values(own.values).map((a) => a.buffer as ArrayBuffer), ...episodes.flatMap(episodeBuffers)];
      return pool.run({ recipe, work: { params: own, firstTask: c.start, episodes } }, transfer);
    });
    let local: MetaGradient | undefined;
    let localError: unknown;
    try {
      local = learner.metaGradient(tasks.slice(chunks[0]!.start, chunks[0]!.end), { firstTask: 0, caller: 'metaTrainStep' });
    } catch (e) {
      localError = e;
    }
    const settled = await Promise.allSettled(remote);
    if (localError !== undefined) throw localError;
    const errors = settled.map((s, k) => workerError(s, chunks[k + 1]!, pool.size));
    const first = errors.find((e) => e !== undefined);
    if (first !== undefined) throw first;
    return [local!, ...settled.map((s) => ((s as PromiseFulfilledResult<unknown>).value as WorkerReply & { ok: true }).gradient!)];
  };

  return {
    workers,
    metaGradient,
    step: async (tasks) => learner.applyMetaGradient(await metaGradient(tasks)),
    close: () => {
      closed = true;
      return pool.destroy();
    },
  };
}
