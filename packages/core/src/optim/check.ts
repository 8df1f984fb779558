/**
 * Argument checks shared by the outer optimizers.
 */
import { MetaLearnError } from '../errors.js';
import { paramNames, type Params } from '../params.js';
import type { OptimizerState } from './types.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks that `other` has exactly the names and shapes of `params`.
 * @param caller - e.g. `'adam.update'`.
 * @param what - the argument's name, e.g. `'grads'` or `'state.slots.m'`.
 * @throws MetaLearnError `invalidArgument` naming the first missing, extra or misshapen entry.
 */
export function checkSameParams(caller: string, what: string, params: Params, other: Params): void {
  const names = paramNames(params);
  const otherNames = paramNames(other);
  for (const n of names) {
    const t = other[n];
    if (t === undefined) throw new MetaLearnError('invalidArgument', `${caller}: ${what} has no '${n}' (expected the names of params)`);
    const p = params[n]!;
    if (!sameShape(t.shape, p.shape)) {
      throw new MetaLearnError('invalidArgument', `${caller}: ${what}['${n}'] must have shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
  }
  for (const n of otherNames) {
    if (!(n in params)) throw new MetaLearnError('invalidArgument', `${caller}: ${what} has '${n}', which params does not have`);
  }
}

/**
 * Checks the learning rate and the state's slots.
 * @throws MetaLearnError `invalidArgument` when `lr` is negative or not finite, or a slot is
 *   missing or does not match `params`.
 */
export function checkUpdateArgs(caller: string, slotNames: readonly string[], grads: Params, state: OptimizerState, params: Params, lr: number): void {
  if (!(Number.isFinite(lr) && lr >= 0)) throw new MetaLearnError('invalidArgument', `${caller}: lr must be a finite number >= 0, got ${lr}`);
  if (!(Number.isInteger(state.count) && state.count >= 0)) {
    throw new MetaLearnError('invalidArgument', `${caller}: state.count must be an integer >= 0, got ${state.count}`);
  }
  checkSameParams(caller, 'grads', params, grads);
  for (const s of slotNames) {
    const slot = state.slots[s];
    if (slot === undefined) throw new MetaLearnError('invalidArgument', `${caller}: state.slots has no '${s}' (has: ${Object.keys(state.slots).join(', ') || 'nothing'})`);
    checkSameParams(caller, `state.slots.${s}`, params, slot);
  }
}
