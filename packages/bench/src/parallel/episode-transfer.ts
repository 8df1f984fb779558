/**
 * Episodes across a worker-thread boundary: tensors as owned typed arrays (transferable), rebuilt
 * as tensors on the other side.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, type Episode, type LabelledSet, type TaskKind } from '@metalearn/core';

/** One tensor as plain data: `data` owns its whole buffer (transfer `data.buffer`). */
export interface TransferTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

/** An {@link Episode} as plain data (`support.x`: float32 `[N_s, ...inputShape]`, `y` int32 `[N_s]` or float32 `[N_s, ways]`; same for `query`). */
export interface TransferEpisode {
  readonly kind: TaskKind;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  readonly support: { readonly x: TransferTensor; readonly y: TransferTensor };
  readonly query: { readonly x: TransferTensor; readonly y: TransferTensor };
}

function packTensor(t: tf.Tensor, where: string): TransferTensor {
  if (t.dtype === 'float32') return { shape: [...t.shape], dtype: 'float32', data: new Float32Array(t.dataSync() as Float32Array) };
  if (t.dtype === 'int32') return { shape: [...t.shape], dtype: 'int32', data: new Int32Array(t.dataSync() as Int32Array) };
  throw new MetaLearnError('invalidArgument', `packEpisode: ${where} must be float32 or int32, got ${t.dtype}`);
}

function packSet(s: LabelledSet, where: string): TransferEpisode['support'] {
  return { x: packTensor(s.x, `${where}.x`), y: packTensor(s.y, `${where}.y`) };
}

/**
 * Copies an episode's tensors into owned typed arrays (the episode is not changed).
 * @param e - the episode; @param where - its name in messages, e.g. `tasks[3]`.
 * @returns the plain episode; {@link episodeBuffers} lists its buffers for a transfer list.
 * @throws MetaLearnError `invalidArgument` for a tensor that is neither float32 nor int32.
 */
export function packEpisode(e: Episode, where: string): TransferEpisode {
  return { kind: e.kind, ways: e.ways, shots: e.shots, queryShots: e.queryShots, support: packSet(e.support, `${where}.support`), query: packSet(e.query, `${where}.query`) };
}

/** The four buffers of a packed episode (to transfer rather than copy). */
export function episodeBuffers(e: TransferEpisode): ArrayBuffer[] {
  return [e.support.x, e.support.y, e.query.x, e.query.y].map((t) => t.data.buffer as ArrayBuffer);
}

/**
 * Rebuilds the tensors of a packed episode (new tensors: dispose them with `disposeEpisode`).
 * @param e - a {@link TransferEpisode}.
 * @returns an {@link Episode} equal, value for value, to the packed one.
 */
export function unpackEpisode(e: TransferEpisode): Episode {
  const t = (p: TransferTensor): tf.Tensor => tf.tensor(p.data, p.shape as number[], p.dtype);
  return { kind: e.kind, ways: e.ways, shots: e.shots, queryShots: e.queryShots, support: { x: t(e.support.x), y: t(e.support.y) }, query: { x: t(e.query.x), y: t(e.query.y) } };
}
