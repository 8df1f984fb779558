/**
 * The multilayer perceptron backbone (the sinusoid network of MAML: 1-40-40 with ReLU, followed
 * by a linear head 40 -> 1; Finn et al. 2017, sec. 5.1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyContext, Backbone } from '../backbone.js';
import { MetaLearnError } from '../errors.js';
import { getParam, type Params } from '../params.js';
import { createRng, deriveSeed } from '../random.js';
import { activate, checkActivation, type ActivationName } from '../nn/activation.js';
import { dense } from '../nn/dense.js';
import { denseTasks } from '../nn/dense-tasks.js';
import { truncatedNormal, zerosInit } from '../nn/init.js';
import { checkInput, checkInt } from './input.js';

/** Options of {@link createMlp}. */
export interface MlpOptions {
  /** `D_in`: size of one input vector (1 for the sinusoid). */
  readonly inputDim: number;
  /** Widths of the hidden layers, e.g. `[40, 40]`; empty gives the identity (features = input). */
  readonly hiddenSizes: readonly number[];
  /** Activation after every hidden layer; default `'relu'`. */
  readonly activation?: ActivationName;
  /**
   * `C`: size of the context vector concatenated to the input (CAVIA; Zintgraf et al. 2019,
   * sec. 4); default 0 (no context: a `ctx.context` is then refused with MetaLearnError
   * `unsupported`). When > 0, `ctx.context` (float32 `[C]` or `[B, C]`) is required.
   */
  readonly contextDim?: number;
  /** Standard deviation of the truncated-normal kernels; default 0.01 (MAML's `construct_fc_weights`). */
  readonly weightStd?: number;
}

/**
 * A fully connected feature network:
 * `h_0 = [x, context]`, `h_l = act(h_{l-1} W_l + b_l)` for `l = 1..L`, features `h_L`.
 *
 * Parameters: `dense{l}/kernel` float32 `[n_{l-1}, n_l]` and `dense{l}/bias` float32 `[n_l]`,
 * `n_0 = inputDim + contextDim`, `n_l = hiddenSizes[l-1]`; `featureDim = n_L`.
 * Initialisation as in the MAML reference code (`construct_fc_weights`): kernels truncated normal
 * with std 0.01 (redrawn beyond 2 std), biases zeros; each tensor from its own derived seed
 * (`deriveSeed(seed, name)`), so the draw is independent of the other layers.
 * Task-batched (`applyTasks`): `x: [T, B, inputDim]` to `[T, B, featureDim]`, each layer
 * `h_l[t] = act(h_{l-1}[t] W_{l,t} + b_{l,t})` with per-task weights `[T, ...]` or shared ones
 * ({@link denseTasks}); a context is per task, `[T, C]` or `[T, B, C]`.
 *
 * @param options - sizes, activation, context size, kernel std.
 * @returns a {@link Backbone} named `'mlp'` with `inputShape = [inputDim]`.
 * @throws MetaLearnError `invalidArgument` on a non-positive size or an unknown activation.
 * @example
 * const backbone = createMlp({ inputDim: 1, hiddenSizes: [40, 40] }); // MAML's sinusoid net
 * const theta = backbone.init(0); // 'dense1/kernel' [1, 40], ..., 'dense2/bias' [40]
 * @see Finn, Abbeel & Levine 2017, "Model-Agnostic Meta-Learning", sec. 5.1.
 */
export function createMlp(options: MlpOptions): Backbone {
  const inputDim = checkInt(options.inputDim, 1, 'createMlp: options.inputDim');
  if (!Array.isArray(options.hiddenSizes)) {
    throw new MetaLearnError('invalidArgument', `createMlp: options.hiddenSizes must be an array of integers >= 1, got ${JSON.stringify(options.hiddenSizes)}`);
  }
  const hidden = options.hiddenSizes.map((h, i) => checkInt(h, 1, `createMlp: options.hiddenSizes[${i}]`));
  const activation = checkActivation(options.activation ?? 'relu', 'createMlp: options.activation');
  const contextDim = checkInt(options.contextDim ?? 0, 0, 'createMlp: options.contextDim');
  const weightStd = options.weightStd ?? 0.01;
  if (!(weightStd > 0 && Number.isFinite(weightStd))) {
    throw new MetaLearnError('invalidArgument', `createMlp: options.weightStd must be > 0, got ${weightStd}`);
  }
  const sizes = [inputDim + contextDim, ...hidden];
  const inputShape = [inputDim] as const;
  const featureDim = sizes[sizes.length - 1]!;

  return {
    name: 'mlp',
    inputShape,
    featureDim,
    init(seed: number): Params {
      const out: Record<string, tf.Tensor> = {};
      for (let l = 1; l < sizes.length; l++) {
        out[`dense${l}/kernel`] = truncatedNormal(createRng(deriveSeed(seed, `dense${l}/kernel`)), [sizes[l - 1]!, sizes[l]!], weightStd);
        out[`dense${l}/bias`] = zerosInit([sizes[l]!]);
      }
      return out;
    },
    apply(params: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor2D {
      checkInput(x, inputShape, 'mlp.apply');
      return tf.tidy(() => {
        let h = x as tf.Tensor2D;
        if (contextDim > 0) {
          h = tf.concat([h, contextRows(ctx.context, contextDim, h.shape[0])], 1);
        } else if (ctx.context !== undefined) {
          throw new MetaLearnError('unsupported', `mlp.apply: ctx.context was given but this MLP takes no context (built with contextDim = 0; build it with contextDim = C)`);
        }
        for (let l = 1; l < sizes.length; l++) {
          h = activate(dense(h, getParam(params, `dense${l}/kernel`, 'mlp.apply'), getParam(params, `dense${l}/bias`, 'mlp.apply')), activation);
        }
        return h;
      });
    },
    applyTasks(params: Params, x: tf.Tensor, ctx: ApplyContext): tf.Tensor3D {
      const where = 'mlp.applyTasks';
      if (!(x.dtype === 'float32' && x.rank === 3 && x.shape[0]! >= 1 && x.shape[1]! >= 1 && x.shape[2] === inputDim)) {
        throw new MetaLearnError('shapeMismatch', `${where}: x must be float32 [T, B, ${inputDim}] with T, B >= 1, got ${x.dtype} [${x.shape.join(', ')}]`);
      }
      const [tasks, batch] = x.shape as [number, number, number];
      return tf.tidy(() => {
        let h = x as tf.Tensor3D;
        if (contextDim > 0) {
          h = tf.concat([h, taskContextRows(ctx.context, contextDim, tasks, batch)], 2);
        } else if (ctx.context !== undefined) {
          throw new MetaLearnError('unsupported', `${where}: ctx.context was given but this MLP takes no context (built with contextDim = 0; build it with contextDim = C)`);
        }
        for (let l = 1; l < sizes.length; l++) {
          h = activate(denseTasks(h, getParam(params, `dense${l}/kernel`, where), getParam(params, `dense${l}/bias`, where), where), activation);
        }
        return h;
      });
    },
  };
}

/** Per-task contexts as `[T, B, C]`: a `[T, C]` context is repeated for every example of its task. */
function taskContextRows(context: tf.Tensor | undefined, contextDim: number, tasks: number, batch: number): tf.Tensor3D {
  if (context?.rank === 2 && context.shape[0] === tasks && context.shape[1] === contextDim) {
    return tf.tile(tf.reshape(context, [tasks, 1, contextDim]), [1, batch, 1]);
  }
  if (context?.rank === 3 && context.shape[0] === tasks && context.shape[1] === batch && context.shape[2] === contextDim) return context as tf.Tensor3D;
  const got = context === undefined ? 'nothing' : `[${context.shape.join(', ')}]`;
  throw new MetaLearnError('shapeMismatch', `mlp.applyTasks: ctx.context must be float32 [${tasks}, ${contextDim}] or [${tasks}, ${batch}, ${contextDim}] (one context per task), got ${got}`);
}

/** The context as `[B, C]` rows: a `[C]` vector is repeated for every example. */
function contextRows(context: tf.Tensor | undefined, contextDim: number, batch: number): tf.Tensor2D {
  if (context === undefined) {
    throw new MetaLearnError('invalidArgument', `mlp.apply: ctx.context must be float32 [${contextDim}] or [B, ${contextDim}] (the MLP has contextDim = ${contextDim}), got nothing`);
  }
  if (context.rank === 1 && context.shape[0] === contextDim) return tf.tile(tf.reshape(context, [1, contextDim]), [batch, 1]);
  if (context.rank === 2 && context.shape[0] === batch && context.shape[1] === contextDim) return context as tf.Tensor2D;
  throw new MetaLearnError('shapeMismatch', `mlp.apply: ctx.context must be float32 [${contextDim}] or [${batch}, ${contextDim}], got [${context.shape.join(', ')}]`);
}
