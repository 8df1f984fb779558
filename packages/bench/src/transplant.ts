/**
 * Evaluating a trained backbone under another solver: because backbones, heads and solvers are
 * interchangeable, a Conv-4 meta-trained by MAML can be evaluated with R2-D2's ridge head and
 * vice versa. The meta-parameters of the trained run are copied into the state of a freshly
 * composed learner; the new solver's own meta-parameters keep their initial values. The same
 * solver evaluated at other ways keeps its learned meta-parameters wherever their shapes allow.
 */
import { MetaLearnError, type LearnerState } from '@metalearn/core';

/** Prefixes of the model's meta-parameters in a backprop learner's state. */
export const MODEL_PARAM_PREFIXES: readonly string[] = ['params/backbone/', 'params/head/'];

/**
 * A copy of `target` whose tensors under `prefixes` come from `source`.
 * @param target - the state of the learner that will evaluate (new composition).
 * @param source - the trained run's state.
 * @param prefixes - which tensors to copy; default the backbone and head meta-parameters.
 * @param ifSameShape - further prefixes whose tensors are copied only where `source` has them with
 *   the same shape, and otherwise keep `target`'s (e.g. `params/solver/` when the same solver is
 *   evaluated at other ways: R2-D2's learned `log λ` and `α` carry over, a per-head-weight rate of
 *   Meta-SGD, shaped by the ways, starts fresh).
 * @returns the merged state (optimizer moments and counters of `target`).
 * @throws MetaLearnError `checkpoint` when a tensor under `prefixes` is missing from `source` or
 *   has another shape there (a different backbone), naming it; or when nothing was copied.
 */
export function transplantState(target: LearnerState, source: LearnerState, prefixes: readonly string[] = MODEL_PARAM_PREFIXES, ifSameShape: readonly string[] = []): LearnerState {
  const tensors = { ...target.tensors };
  let copied = 0;
  for (const [name, t] of Object.entries(target.tensors)) {
    if (ifSameShape.some((p) => name.startsWith(p))) {
      const s = source.tensors[name];
      if (s !== undefined && sameShape(s.shape, t.shape)) tensors[name] = s;
      continue;
    }
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const s = source.tensors[name];
    if (s === undefined) throw new MetaLearnError('checkpoint', `transplantState: the trained run has no '${name}' (was it trained with another backbone?)`);
    if (!sameShape(s.shape, t.shape)) {
      throw new MetaLearnError('checkpoint', `transplantState: '${name}' has shape [${s.shape.join(', ')}] in the trained run, the new composition needs [${t.shape.join(', ')}]`);
    }
    tensors[name] = s;
    copied++;
  }
  if (copied === 0) throw new MetaLearnError('checkpoint', `transplantState: no tensor under ${prefixes.join(', ')} in the new learner's state (learner '${target.learner}')`);
  return { ...target, tensors };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
