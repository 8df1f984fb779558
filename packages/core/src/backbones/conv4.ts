/**
 * The Conv-4 backbone of the few-shot literature (Vinyals et al. 2016; Finn et al. 2017;
 * Snell et al. 2017): blocks of 3x3 convolution, batch normalisation and ReLU, either strided
 * (Omniglot, 28x28) or followed by 2x2 max pooling (mini-ImageNet, 84x84).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyContext, Backbone, NormStats } from '../backbone.js';
import { MetaLearnError } from '../errors.js';
import { getParam, type Params } from '../params.js';
import { createRng, deriveSeed } from '../random.js';
import { activate, checkActivation, type ActivationName } from '../nn/activation.js';
import { batchMoments, normalize } from '../nn/batch-norm.js';
import { conv2d } from '../nn/conv2d.js';
import { dense } from '../nn/dense.js';
import { glorotUniform, onesInit, zerosInit } from '../nn/init.js';
import { maxPool2x2 } from '../nn/pool.js';
import { checkInput, checkInt } from './input.js';

/** How a block reduces the spatial size: stride-2 convolution, or stride-1 convolution then 2x2 max pooling. */
export type Conv4Variant = 'strided' | 'maxpool';
/** How the last block's `[B, h, w, F]` map becomes features: spatial mean (`[B, F]`) or flattening (`[B, h*w*F]`). */
export type Conv4Pooling = 'mean' | 'flatten';

/** Options of {@link createConv4}. */
export interface Conv4Options {
  /** `[H, W, C]` of one image, e.g. `[28, 28, 1]` (Omniglot) or `[84, 84, 3]` (mini-ImageNet). */
  readonly inputShape: readonly number[];
  /** `F`, filters of every block; default 64 (MAML uses 32 on mini-ImageNet). */
  readonly filters?: number;
  /** Default `'strided'`. */
  readonly variant?: Conv4Variant;
  /** Default `'mean'` for `'strided'` and `'flatten'` for `'maxpool'`, as in the MAML reference code. */
  readonly pooling?: Conv4Pooling;
  /** Number of blocks; default 4 (deeper or shallower variants for architecture sweeps). */
  readonly blocks?: number;
  /** Default `'relu'`; a smooth one (`'tanh'`, `'elu'`, `'softplus'`) for finite-difference tests. */
  readonly activation?: ActivationName;
  /** Batch normalisation after every convolution; default true. */
  readonly batchNorm?: boolean;
  /** Whether batch norm has a learned scale `gamma` besides its offset `beta`; default true. */
  readonly normScale?: boolean;
  /** `epsilon` added to the batch variance; default 1e-3 (TensorFlow's `batch_norm`, as in MAML). */
  readonly normEpsilon?: number;
  /**
   * `S`: number of sets of batch-norm weights and biases, one per inner step (MAML++ "BNWB";
   * Antoniou et al. 2018, sec. 4); default 1 (shared by every step).
   */
  readonly normSteps?: number;
  /**
   * `C`: size of the context vector that modulates one block by FiLM (CAVIA's convolutional
   * network; Zintgraf et al. 2019, sec. 5.2); default 0 (no context: a `ctx.context` is then
   * refused with MetaLearnError `unsupported`). When > 0, `ctx.context` (float32 `[C]` or `[B, C]`)
   * is required.
   */
  readonly contextDim?: number;
  /** The block `l` (1-based) that FiLM modulates when `contextDim > 0`; default `min(3, blocks)` (CAVIA: the third of four). */
  readonly filmBlock?: number;
}

/**
 * Conv-4 in functional form. Block `l = 1..L` (`L = blocks`, default 4):
 * `z = conv3x3(h_{l-1}, K_l, stride, 'same') [+ b_l]`, `z = BN(z)`, `h_l = act(z)`,
 * then for `'maxpool'` `h_l = maxpool2x2(h_l)`. Features: `mean_{i,j} h_L[:, i, j, :]` (`'mean'`)
 * or `reshape(h_L, [B, -1])` (`'flatten'`).
 *
 * Spatial size per block: `'strided'` (stride 2, `'same'`): `s -> ceil(s/2)`, so 28 -> 14 -> 7 -> 4 -> 2;
 * `'maxpool'` (stride 1 `'same'`, then 2x2 `'valid'` pooling): `s -> floor(s/2)`, so 84 -> 42 -> 21 -> 10 -> 5.
 * The MAML reference code (`maml.py`, `forward_conv`) averages the final 2x2 map on Omniglot
 * (features `[B, F]`, `F = 64`) and flattens it on mini-ImageNet (`[B, 5*5*F]`, `F = 32`: 800);
 * these are the defaults of `pooling`.
 *
 * Batch norm: `BN(z) = (z - mu) / sqrt(var + eps) * gamma + beta`, per channel. `mu`, `var` are the
 * batch's own statistics over `[B, H, W]` at meta-training and evaluation alike (MAML's
 * transductive setting: its `tf.contrib.layers.batch_norm` runs in training mode throughout),
 * unless `ctx.normStats` gives them (keys `'norm1'..'normL'`; non-transductive evaluation).
 * When the batch's statistics are computed, `ctx.onNormStats(layer, stats)` receives them (after
 * the forward pass, as tensors in the caller's scope: the caller disposes them, e.g. by calling
 * `apply` inside `tf.tidy` and keeping what it needs). `ctx.training` does not change batch norm.
 *
 * Parameters (names; float32):
 * - `conv{l}/kernel` `[3, 3, C_{l-1}, F]`, Glorot uniform with `fanIn = 9 C_{l-1}`, `fanOut = 9 F`
 *   (MAML: `xavier_initializer_conv2d`);
 * - `conv{l}/bias` `[F]`, zeros, only without batch norm (with batch norm a bias before it has no
 *   effect on the output and would get a zero gradient; MAML keeps one, and has no `gamma`: the
 *   parameter count is the same);
 * - `norm{l}/scale` `[F]` ones (when `normScale`), `norm{l}/offset` `[F]` zeros; with `normSteps = S > 1`,
 *   `norm{l}/step{s}/scale` and `norm{l}/step{s}/offset` for `s = 0..S-1`, selected by
 *   `ctx.innerStep` (default 0; steps `>= S` use the last set, e.g. for more evaluation steps).
 *
 * Context parameters (CAVIA, `contextDim = C > 0`): block `l = filmBlock` is modulated by FiLM
 * after its batch norm (after the convolution without batch norm) and before the activation,
 * `z <- gamma ⊙ z + beta` per channel, with `[gamma, beta] = c W_film + b_film` (`[F]` each) from
 * the context `c = ctx.context` (`[C]`: one modulation for the batch; `[B, C]`: one per example).
 * Extra parameters `film/kernel` `[C, 2F]` (Glorot uniform, `fanIn = C`, `fanOut = 2F`) and
 * `film/bias` `[2F]`, initialised to ones for `gamma` and zeros for `beta`, so that a zero
 * context (CAVIA's reset) leaves the block as without FiLM. CAVIA's reference network applies
 * FiLM after batch norm and max pooling and before the ReLU; here max pooling follows the
 * activation, which commutes with it for every positive `gamma`. With `contextDim = 0` (default)
 * `ctx.context` is refused with MetaLearnError `unsupported`.
 *
 * Every op has a differentiable gradient (max pooling is built from `reshape` + `max`), so
 * second-order meta-gradients flow through the whole backbone given the engine's convolution
 * gradient fixes.
 *
 * @param options - see {@link Conv4Options}.
 * @returns a {@link Backbone} named `'conv4'`.
 * @throws MetaLearnError `invalidArgument` on bad options, or an input too small for the blocks.
 * @example
 * const omniglot = createConv4({ inputShape: [28, 28, 1] });                                  // featureDim 64
 * const mini = createConv4({ inputShape: [84, 84, 3], filters: 32, variant: 'maxpool' });     // featureDim 800
 * @see Finn, Abbeel & Levine 2017, sec. 5.2; Vinyals et al. 2016, "Matching Networks", sec. 4.1;
 *   Antoniou, Edwards & Storkey 2018, "How to train your MAML", sec. 4 (per-step batch norm);
 *   Zintgraf et al. 2019, "Fast Context Adaptation via Meta-Learning", sec. 5.2 (FiLM context);
 *   Perez et al. 2018, "FiLM: Visual Reasoning with a General Conditioning Layer", eq. 1-3.
 */
export function createConv4(options: Conv4Options): Backbone {
  const shape = options.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new MetaLearnError('invalidArgument', `createConv4: options.inputShape must be [H, W, C], got ${JSON.stringify(shape)}`);
  }
  const [H, W, C] = shape.map((d, i) => checkInt(d, 1, `createConv4: options.inputShape[${i}]`)) as [number, number, number];
  const filters = checkInt(options.filters ?? 64, 1, 'createConv4: options.filters');
  const blocks = checkInt(options.blocks ?? 4, 1, 'createConv4: options.blocks');
  const variant = options.variant ?? 'strided';
  if (variant !== 'strided' && variant !== 'maxpool') {
    throw new MetaLearnError('invalidArgument', `createConv4: options.variant must be 'strided' or 'maxpool', got ${JSON.stringify(variant)}`);
  }
  const pooling = options.pooling ?? (variant === 'strided' ? 'mean' : 'flatten');
  if (pooling !== 'mean' && pooling !== 'flatten') {
    throw new MetaLearnError('invalidArgument', `createConv4: options.pooling must be 'mean' or 'flatten', got ${JSON.stringify(pooling)}`);
  }
  const activation = checkActivation(options.activation ?? 'relu', 'createConv4: options.activation');
  const batchNorm = options.batchNorm ?? true;
  const normScale = options.normScale ?? true;
  const epsilon = options.normEpsilon ?? 1e-3;
  if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) {
    throw new MetaLearnError('invalidArgument', `createConv4: options.normEpsilon must be > 0, got ${JSON.stringify(options.normEpsilon)}`);
  }
  const normSteps = checkInt(options.normSteps ?? 1, 1, 'createConv4: options.normSteps');
  if (!batchNorm && normSteps > 1) {
    throw new MetaLearnError('invalidArgument', `createConv4: options.normSteps = ${normSteps} needs batchNorm: true`);
  }
  const contextDim = checkInt(options.contextDim ?? 0, 0, 'createConv4: options.contextDim');
  const filmBlock = checkInt(options.filmBlock ?? Math.min(3, blocks), 1, 'createConv4: options.filmBlock');
  if (filmBlock > blocks) {
    throw new MetaLearnError('invalidArgument', `createConv4: options.filmBlock must be an integer in [1, ${blocks}] (options.blocks = ${blocks}), got ${filmBlock}`);
  }
  if (options.filmBlock !== undefined && contextDim === 0) {
    throw new MetaLearnError('invalidArgument', `createConv4: options.filmBlock = ${filmBlock} needs options.contextDim > 0 (the size of the context that FiLM reads)`);
  }
  let h = H;
  let w = W;
  for (let l = 1; l <= blocks; l++) {
    if (variant === 'strided') {
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    } else {
      if (h < 2 || w < 2) {
        throw new MetaLearnError('invalidArgument', `createConv4: inputShape [${H}, ${W}, ${C}] is too small for ${blocks} max-pooled blocks (block ${l} gets ${h}x${w})`);
      }
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  const featureDim = pooling === 'mean' ? filters : h * w * filters;
  const inputShape = [H, W, C] as const;
  const stride = variant === 'strided' ? 2 : 1;
  const normPrefix = (l: number, step: number): string => (normSteps === 1 ? `norm${l}` : `norm${l}/step${step}`);

  return {
    name: 'conv4',
    inputShape,
    featureDim,
    init(seed: number): Params {
      const out: Record<string, tf.Tensor> = {};
      for (let l = 1; l <= blocks; l++) {
        const cin = l === 1 ? C : filters;
        out[`conv${l}/kernel`] = glorotUniform(createRng(deriveSeed(seed, `conv${l}/kernel`)), [3, 3, cin, filters], 9 * cin, 9 * filters);
        if (!batchNorm) out[`conv${l}/bias`] = zerosInit([filters]);
        else {
          for (let s = 0; s < normSteps; s++) {
            if (normScale) out[`${normPrefix(l, s)}/scale`] = onesInit([filters]);
            out[`${normPrefix(l, s)}/offset`] = zerosInit([filters]);
          }
        }
      }
      if (contextDim > 0) {
        out['film/kernel'] = glorotUniform(createRng(deriveSeed(seed, 'film/kernel')), [contextDim, 2 * filters], contextDim, 2 * filters);
        out['film/bias'] = tf.tidy(() => tf.concat([onesInit([filters]), zerosInit([filters])]));
      }
      return out;
    },
    apply(params: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor2D {
      checkInput(x, inputShape, 'conv4.apply');
      if (contextDim === 0 && ctx.context !== undefined) {
        throw new MetaLearnError('unsupported', 'conv4.apply: ctx.context was given but this Conv-4 takes no context parameters (built with contextDim = 0; build it with contextDim = C for FiLM, or use an MLP with contextDim)');
      }
      if (contextDim > 0) checkContext(ctx.context, contextDim, x.shape[0]!);
      const step = selectStep(ctx.innerStep, normSteps);
      if (batchNorm && ctx.normStats !== undefined) checkNormStats(ctx.normStats, blocks, filters);
      const capture = batchNorm && ctx.normStats === undefined && ctx.onNormStats !== undefined;
      const [features, ...moments] = tf.tidy(() => {
        const kept: tf.Tensor[] = [];
        let a = x as tf.Tensor4D;
        for (let l = 1; l <= blocks; l++) {
          const kernel = getParam(params, `conv${l}/kernel`, 'conv4.apply');
          let z = conv2d(a, kernel, stride, 'same', batchNorm ? undefined : getParam(params, `conv${l}/bias`, 'conv4.apply'));
          if (batchNorm) {
            const p = normPrefix(l, step);
            const stats = ctx.normStats?.get(`norm${l}`) ?? batchMoments(z);
            if (capture) kept.push(stats.mean, stats.variance);
            z = normalize(z, stats, epsilon, normScale ? getParam(params, `${p}/scale`, 'conv4.apply') : undefined, getParam(params, `${p}/offset`, 'conv4.apply'));
          }
          if (contextDim > 0 && l === filmBlock) z = film(z, ctx.context!, getParam(params, 'film/kernel', 'conv4.apply'), getParam(params, 'film/bias', 'conv4.apply'), filters);
          a = activate(z, activation);
          if (variant === 'maxpool') a = maxPool2x2(a);
        }
        const f = pooling === 'mean' ? tf.mean(a, [1, 2]) : tf.reshape(a, [a.shape[0], -1]);
        return [f as tf.Tensor2D, ...kept];
      });
      if (capture) {
        for (let l = 1; l <= blocks; l++) {
          ctx.onNormStats!(`norm${l}`, { mean: moments[2 * (l - 1)] as tf.Tensor1D, variance: moments[2 * (l - 1) + 1] as tf.Tensor1D });
        }
      }
      return features as tf.Tensor2D;
    },
  };
}

/** Checks that `context` is float32 `[C]` or `[B, C]`. */
function checkContext(context: tf.Tensor | undefined, contextDim: number, batch: number): void {
  if (context === undefined) {
    throw new MetaLearnError('invalidArgument', `conv4.apply: ctx.context must be float32 [${contextDim}] or [B, ${contextDim}] (the Conv-4 has contextDim = ${contextDim}), got nothing`);
  }
  const ok = context.dtype === 'float32' && ((context.rank === 1 && context.shape[0] === contextDim) || (context.rank === 2 && context.shape[0] === batch && context.shape[1] === contextDim));
  if (!ok) {
    throw new MetaLearnError('shapeMismatch', `conv4.apply: ctx.context must be float32 [${contextDim}] or [${batch}, ${contextDim}], got ${context.dtype} [${context.shape.join(', ')}]`);
  }
}

/**
 * FiLM: `z * gamma + beta` per channel, `[gamma, beta] = c W + b` (`c`: `[C]` or `[B, C]`).
 * @param z - float32 `[B, h, w, F]`.
 * @returns float32 `[B, h, w, F]`.
 */
function film(z: tf.Tensor4D, context: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, filters: number): tf.Tensor4D {
  const c = context.rank === 1 ? tf.reshape(context, [1, -1]) as tf.Tensor2D : context as tf.Tensor2D;
  const gb = dense(c, kernel, bias);
  const rows = gb.shape[0];
  const gamma = tf.reshape(tf.slice(gb, [0, 0], [rows, filters]), [rows, 1, 1, filters]);
  const beta = tf.reshape(tf.slice(gb, [0, filters], [rows, filters]), [rows, 1, 1, filters]);
  return tf.add(tf.mul(z, gamma), beta) as tf.Tensor4D;
}

/** The per-step batch-norm set for `innerStep` (default 0; clamped to the last set). */
function selectStep(innerStep: number | undefined, normSteps: number): number {
  if (innerStep === undefined) return 0;
  if (!Number.isInteger(innerStep) || innerStep < 0) {
    throw new MetaLearnError('invalidArgument', `conv4.apply: ctx.innerStep must be an integer >= 0, got ${innerStep}`);
  }
  return Math.min(innerStep, normSteps - 1);
}

/** Checks that `normStats` has float32 `[F]` mean and variance for every layer. */
function checkNormStats(normStats: ReadonlyMap<string, NormStats>, blocks: number, filters: number): void {
  for (let l = 1; l <= blocks; l++) {
    const s = normStats.get(`norm${l}`);
    if (s === undefined) {
      throw new MetaLearnError('invalidArgument', `conv4.apply: ctx.normStats has no 'norm${l}' (has: ${[...normStats.keys()].join(', ') || 'nothing'}); give every layer norm1..norm${blocks}`);
    }
    for (const [k, t] of [['mean', s.mean], ['variance', s.variance]] as const) {
      if (t.rank !== 1 || t.shape[0] !== filters || t.dtype !== 'float32') {
        throw new MetaLearnError('shapeMismatch', `conv4.apply: ctx.normStats 'norm${l}'.${k} must be float32 [${filters}], got ${t.dtype} [${t.shape.join(', ')}]`);
      }
    }
  }
}
