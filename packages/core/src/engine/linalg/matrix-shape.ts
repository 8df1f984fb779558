/**
 * Shape validation of batched matrices `[...batch, rows, cols]`, shared by the differentiable
 * dense linear algebra of the engine (Cholesky, triangular and SPD solves).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';

/** The batch and matrix dimensions of a tensor `[...batchShape, rows, cols]`. */
export interface BatchedMatrixShape {
  /** Leading dimensions (empty for a single matrix). */
  readonly batchShape: readonly number[];
  /** Product of `batchShape` (1 for a single matrix). */
  readonly batch: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Reads and validates the shape of a float32 batched matrix.
 * @param t - the tensor, float32 `[...batch, rows, cols]`.
 * @param argName - the argument's name, for the error message (`'A'`).
 * @param fnName - the calling function, for the error message (`'cholesky'`).
 * @param square - require `rows === cols`.
 * @returns the batch shape, batch size and matrix dimensions.
 * @throws MetaLearnError `invalidArgument` when `t` is not float32, `shapeMismatch` when its rank
 *   is below 2, a dimension is zero, or (with `square`) the matrix is not square.
 */
export function batchedMatrixShape(t: tf.Tensor, argName: string, fnName: string, square: boolean): BatchedMatrixShape {
  if (t.dtype !== 'float32') {
    throw new MetaLearnError('invalidArgument', `${fnName}: ${argName} must be float32, got ${t.dtype}`);
  }
  if (t.rank < 2) {
    throw new MetaLearnError('shapeMismatch', `${fnName}: ${argName} must be a batch of matrices [..., n, ${square ? 'n' : 'm'}], got [${t.shape.join(', ')}]`);
  }
  const rows = t.shape[t.rank - 2]!;
  const cols = t.shape[t.rank - 1]!;
  if (rows === 0 || cols === 0) {
    throw new MetaLearnError('shapeMismatch', `${fnName}: ${argName} must have non-empty matrices, got [${t.shape.join(', ')}]`);
  }
  if (square && rows !== cols) {
    throw new MetaLearnError('shapeMismatch', `${fnName}: ${argName} must be square [..., n, n], got [${t.shape.join(', ')}]`);
  }
  const batchShape = t.shape.slice(0, -2);
  return { batchShape, batch: batchShape.reduce((p, d) => p * d, 1), rows, cols };
}

/**
 * Checks that the right-hand side `B: [...batch, n, m]` matches a square `A: [...batch, n, n]`.
 * @param a - the validated shape of `A`.
 * @param b - the validated shape of `B`.
 * @param aName - name of the matrix argument (`'A'`, `'L'`).
 * @param fnName - the calling function.
 * @throws MetaLearnError `shapeMismatch` when the batch shapes differ or `B` has not `n` rows.
 */
export function checkRightHandSide(a: BatchedMatrixShape, b: BatchedMatrixShape, aName: string, fnName: string): void {
  const aFull = [...a.batchShape, a.rows, a.cols];
  const bFull = [...b.batchShape, b.rows, b.cols];
  const sameBatch = a.batchShape.length === b.batchShape.length && a.batchShape.every((d, i) => d === b.batchShape[i]);
  if (!sameBatch || b.rows !== a.rows) {
    throw new MetaLearnError(
      'shapeMismatch',
      `${fnName}: B must be [${[...a.batchShape, a.rows].join(', ')}, m] to match ${aName} [${aFull.join(', ')}], got [${bFull.join(', ')}]`,
    );
  }
}

/**
 * Formats the batch index `b` (flat, row-major over `batchShape`) as `A[i, j]`, or `A` alone for a
 * single matrix — for error messages.
 */
export function batchLabel(argName: string, batchShape: readonly number[], b: number): string {
  if (batchShape.length === 0) return argName;
  const idx: number[] = [];
  let rest = b;
  for (let d = batchShape.length - 1; d >= 0; d--) {
    idx.unshift(rest % batchShape[d]!);
    rest = Math.floor(rest / batchShape[d]!);
  }
  return `${argName}[${idx.join(', ')}]`;
}
