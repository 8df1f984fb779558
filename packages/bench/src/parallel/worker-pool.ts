/**
 * The pool of meta-gradient worker threads (tinypool over `worker_threads`): created once per
 * run, destroyed at its end.
 */
import Tinypool from 'tinypool';
import { MetaLearnError } from '@metalearn/core';
import type { WorkerRequest } from './protocol.js';

/**
 * The module URL tinypool loads in each thread: `worker.js` beside this module in the built
 * package. When this module runs from its TypeScript source (tests: `node --import tsx`), the
 * thread must load `worker.ts`, and Node 20 does not carry the main thread's tsx hooks into worker
 * threads, so the entry is a one-line ES module (a `data:` URL) that registers tsx's loader in the
 * thread and re-exports `worker.ts`'s handler. The main thread's `execArgv` (`--conditions=source`)
 * is inherited, so cross-package imports resolve as on the main thread.
 */
export function workerEntryUrl(): string {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./worker.js', here).href;
  const entry = new URL('./worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); const m = await import(${JSON.stringify(entry)}); export default m.default;`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** A pool of meta-gradient workers. */
export interface WorkerPool {
  /** Number of threads. */
  readonly size: number;
  /** Sends one request to a free thread (buffers in `transfer` are moved, not copied); resolves to its reply. */
  run(request: WorkerRequest, transfer: readonly ArrayBuffer[]): Promise<unknown>;
  /** Terminates every thread; the pool is unusable afterwards. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * Starts `size` worker threads (all at once: `minThreads = maxThreads = size`; idle threads are
 * kept, never recycled, so each builds its learner once).
 * @param size - threads, an integer >= 1.
 * @returns the pool; call `destroy()` when the run ends, else the threads keep the process alive.
 * @throws MetaLearnError `invalidArgument` for a bad size.
 */
export function createWorkerPool(size: number): WorkerPool {
  if (!(Number.isInteger(size) && size >= 1)) throw new MetaLearnError('invalidArgument', `createWorkerPool: size must be an integer >= 1, got ${size}`);
  const pool = new Tinypool({ filename: workerEntryUrl(), minThreads: size, maxThreads: size, isolateWorkers: false });
  let destroyed: Promise<void> | undefined;
  return {
    size,
    run: (request, transfer) => {
      if (destroyed !== undefined) return Promise.reject(new MetaLearnError('invalidArgument', 'WorkerPool.run: the pool was destroyed'));
      return pool.run(request, { transferList: [...transfer] });
    },
    destroy: () => (destroyed ??= pool.destroy()),
  };
}
