/**
 * Named parameter maps. A backbone, head or solver never holds its weights: it receives a
 * {@link Params} map and reads the tensors it needs by name, so the meta-parameters `theta` and
 * the fast weights `phi` of a task flow through exactly the same `apply` code (the property that
 * makes MAML model-agnostic; Finn et al. 2017).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from './errors.js';

/**
 * A map from parameter name (`'conv1/kernel'`, `'head/weight'`, ...) to a float32 tensor.
 * Names are `/`-separated paths; a composite model prefixes its parts (`backbone/`, `head/`).
 */
export type Params = Readonly<Record<string, tf.Tensor>>;

/** The names of `params`, sorted: the canonical order used for flattening and checkpoints. */
export function paramNames(params: Params): string[] {
  return Object.keys(params).sort();
}

/**
 * Applies `fn` to each tensor of `params`, keeping names.
 * @param params - the map to transform.
 * @param fn - called with each tensor and its name.
 */
export function mapParams(params: Params, fn: (t: tf.Tensor, name: string) => tf.Tensor): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const name of paramNames(params)) out[name] = fn(params[name]!, name);
  return out;
}

/**
 * Prefixes every name of `params` with `prefix/`.
 * @throws MetaLearnError `invalidArgument` when `prefix` is empty or contains `/` at its end.
 */
export function prefixParams(prefix: string, params: Params): Params {
  if (prefix === '' || prefix.endsWith('/')) {
    throw new MetaLearnError('invalidArgument', `prefixParams: prefix must be a non-empty name without a trailing '/', got '${prefix}'`);
  }
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(params)) out[`${prefix}/${k}`] = v;
  return out;
}

/** The sub-map of names starting with `prefix/`, with the prefix removed. */
export function subParams(prefix: string, params: Params): Params {
  const out: Record<string, tf.Tensor> = {};
  const p = `${prefix}/`;
  for (const [k, v] of Object.entries(params)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}

/**
 * Merges maps; a name present in two of them is an error.
 * @throws MetaLearnError `invalidArgument` naming the duplicated parameter.
 */
export function mergeParams(...maps: Params[]): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const m of maps) {
    for (const [k, v] of Object.entries(m)) {
      if (k in out) throw new MetaLearnError('invalidArgument', `mergeParams: parameter '${k}' appears twice`);
      out[k] = v;
    }
  }
  return out;
}

/**
 * Reads one parameter, failing clearly when it is missing.
 * @param params - the map.
 * @param name - the parameter's name.
 * @param caller - the function asking, for the error message.
 * @throws MetaLearnError `invalidArgument` when `name` is not in `params`.
 */
export function getParam(params: Params, name: string, caller: string): tf.Tensor {
  const t = params[name];
  if (t === undefined) {
    throw new MetaLearnError('invalidArgument', `${caller}: params has no '${name}' (has: ${paramNames(params).join(', ') || 'nothing'})`);
  }
  return t;
}

/** Total number of scalar entries in `params`. */
export function countParams(params: Params): number {
  return Object.values(params).reduce((n, t) => n + t.size, 0);
}

/** Disposes every tensor of `params`. */
export function disposeParams(params: Params): void {
  for (const t of Object.values(params)) t.dispose();
}
