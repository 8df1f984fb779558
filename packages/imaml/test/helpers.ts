// Test fixtures of @metalearn/imaml: an identity backbone (so that a linear head on MSE gives a
// quadratic support loss with a closed-form proximal solution), seeded tasks, a backend loop with
// a leak check, and relative errors.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, MetaLearnError, type Backbone, type Episode, type Params } from '@metalearn/core';

/** `features = x` for float32 `x: [B, inputDim]` (task-batched: `[T, B, inputDim]`); no parameters. */
export function identityBackbone(inputDim: number): Backbone {
  return {
    name: 'identity',
    inputShape: [inputDim],
    featureDim: inputDim,
    init(): Params {
      return {};
    },
    apply(_params: Params, x: tf.Tensor): tf.Tensor2D {
      if (x.rank !== 2 || x.shape[1] !== inputDim) throw new MetaLearnError('shapeMismatch', `identity: x must be [B, ${inputDim}], got [${x.shape.join(', ')}]`);
      return tf.clone(x) as tf.Tensor2D;
    },
    applyTasks(_params: Params, x: tf.Tensor): tf.Tensor3D {
      if (x.rank !== 3 || x.shape[2] !== inputDim) throw new MetaLearnError('shapeMismatch', `identity: x must be [T, B, ${inputDim}], got [${x.shape.join(', ')}]`);
      return tf.clone(x) as tf.Tensor3D;
    },
  };
}

/** Plain arrays of a seeded linear-regression task: `y = x W_true + noise`, `x ~ N(0, 1)`. */
export interface LinearTaskData {
  readonly xs: number[][];
  readonly ys: number[][];
  readonly xq: number[][];
  readonly yq: number[][];
}

/** A seeded linear-regression task with `nS` support and `nQ` query points, `d` inputs, `m` outputs. */
export function linearTaskData(seed: number, nS: number, nQ: number, d: number, m: number): LinearTaskData {
  const rng = createRng(seed);
  const w = Array.from({ length: d }, () => Array.from({ length: m }, () => rng.normal()));
  const row = (): { x: number[]; y: number[] } => {
    const x = Array.from({ length: d }, () => rng.normal());
    const y = Array.from({ length: m }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i]![j]!, 0) + 0.3 * rng.normal() + 0.5);
    return { x, y };
  };
  const s = Array.from({ length: nS }, row);
  const q = Array.from({ length: nQ }, row);
  return { xs: s.map((r) => r.x), ys: s.map((r) => r.y), xq: q.map((r) => r.x), yq: q.map((r) => r.y) };
}

/** The task as an {@link Episode} (regression, `ways = m`). */
export function linearEpisode(data: LinearTaskData): Episode {
  const m = data.ys[0]!.length;
  return {
    kind: 'regression', ways: m, shots: data.xs.length, queryShots: data.xq.length,
    support: { x: tf.tensor2d(data.xs), y: tf.tensor2d(data.ys) },
    query: { x: tf.tensor2d(data.xq), y: tf.tensor2d(data.yq) },
  };
}

const backends = await availableBackends();

/** The backends present (cpu and wasm here). */
export function everyBackend(): readonly string[] {
  assert.ok(backends.length >= 2, `expected cpu and wasm, got ${backends.join()}`);
  return backends;
}

/** Runs `body` on every backend, asserting that it leaks no tensor. */
export async function onEveryBackend(body: (backend: string) => void | Promise<void>): Promise<void> {
  for (const b of everyBackend()) {
    await initEngine({ backend: b as 'cpu' | 'wasm', log: () => {} });
    const before = tf.memory().numTensors;
    await body(b);
    assert.equal(tf.memory().numTensors, before, `${b}: leaked tensors`);
  }
}

/** `max |a - b| / max |b|` over all entries. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/** Values of every tensor of a map, concatenated in sorted-name order. */
export function flatValues(p: Params | Readonly<Record<string, tf.Tensor | null>>): number[] {
  return Object.keys(p).sort().flatMap((n) => {
    const t = p[n];
    return t ? Array.from(t.dataSync()) : [];
  });
}
