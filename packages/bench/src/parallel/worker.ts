/**
 * The entry of a meta-gradient worker thread (run by tinypool). Per thread it builds the run's
 * learner once from a {@link LearnerRecipe} (the same composition path `train` uses, the run's
 * third-party plug-in modules imported first) on the main
 * thread's backend; per request it imports the current meta-parameters, rebuilds the episodes
 * from their transferred buffers and returns their {@link MetaGradient} part, transferring its
 * arrays back. Errors are returned (kind and message), not thrown, so their kind survives.
 */
import Tinypool, { type Transferable } from 'tinypool';
import { MetaLearnError, disposeEpisode, initEngine, type Learner, type MetaGradient } from '@metalearn/core';
import { createHostContainer } from '../container.js';
import { createComposedLearner } from '../compose.js';
import { loadPluginModules } from '../plugin-modules.js';
import { unpackEpisode } from './episode-transfer.js';
import type { LearnerRecipe, WorkerReply, WorkerRequest } from './protocol.js';

let built: { readonly key: string; readonly learner: Learner } | undefined;

/** This thread's learner for `recipe`, built on first use (and rebuilt if another recipe comes). */
async function learnerFor(recipe: LearnerRecipe): Promise<Learner> {
  const key = JSON.stringify(recipe);
  if (built?.key === key) return built.learner;
  built?.learner.dispose();
  built = undefined;
  await initEngine({ backend: recipe.backend, log: () => {} });
  const { modules } = await loadPluginModules(recipe.plugins ?? []);
  const learner = createComposedLearner(createHostContainer(...modules), recipe.composition, recipe.task, recipe.seed);
  built = { key, learner };
  return learner;
}

/** The part's arrays, to transfer rather than copy. */
function movable(reply: WorkerReply & { ok: true; gradient: MetaGradient }): unknown {
  const buffers = Object.values(reply.gradient.sums).map((a) => a.buffer);
  return Tinypool.move({ [Tinypool.transferableSymbol]: buffers, [Tinypool.valueSymbol]: reply } as unknown as Transferable) as unknown;
}

/**
 * Handles one {@link WorkerRequest}.
 * @param request - the recipe, and optionally the work: parameters, first task index, episodes.
 * @returns `{ ok: true, gradient }` (or `{ ok: true }` for a warm-up), or `{ ok: false, kind, message }`.
 */
export default async function metaGradientWorker(request: WorkerRequest): Promise<unknown> {
  try {
    const learner = await learnerFor(request.recipe);
    const work = request.work;
    if (work === undefined) return { ok: true } satisfies WorkerReply;
    learner.importParams(work.params);
    const tasks = work.episodes.map(unpackEpisode);
    try {
      const gradient = learner.metaGradient(tasks, { firstTask: work.firstTask, caller: 'metaTrainStep' });
      return movable({ ok: true, gradient });
    } finally {
      tasks.forEach(disposeEpisode);
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, message: err.message, ...(MetaLearnError.is(e) ? { kind: e.kind } : {}), ...(err.stack !== undefined ? { stack: err.stack } : {}) } satisfies WorkerReply;
  }
}
