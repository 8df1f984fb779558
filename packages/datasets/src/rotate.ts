/**
 * Rotations of square images by multiples of 90 degrees, counter-clockwise, as Pillow's
 * `Image.rotate(angle)` does (the Vinyals Omniglot split's `rot090` class is
 * `Image.rotate(90)` of the drawing in the reference implementations, e.g. prototypical
 * networks). In pixel terms, for an `n x n` image and `k` quarter-turns:
 * - `k = 1` (90°):  `out[r][c] = in[c][n-1-r]`
 * - `k = 2` (180°): `out[r][c] = in[n-1-r][n-1-c]`
 * - `k = 3` (270°): `out[r][c] = in[n-1-c][r]`
 *
 * @see Vinyals et al. 2016, "Matching networks for one shot learning", sec. 4.1.1 (rotations as
 *   new classes; Santoro et al. 2016).
 */
import { MetaLearnError } from '@metalearn/core';

/** The rotations used as extra classes, in degrees counter-clockwise. */
export type RotationDegrees = 0 | 90 | 180 | 270;

/** Every {@link RotationDegrees}. */
export const ROTATIONS: readonly RotationDegrees[] = [0, 90, 180, 270];

const mapCache = new Map<string, Int32Array>();

/**
 * The pixel index map of a counter-clockwise rotation of an `n x n` image: rotated pixel `p`
 * (row-major) is source pixel `map[p]`. Memoised.
 *
 * @param n - side length, integer >= 1.
 * @param degrees - 0, 90, 180 or 270.
 * @returns int32 `[n * n]`.
 * @throws MetaLearnError `invalidArgument` on another angle or a bad size.
 */
export function rotationIndexMap(n: number, degrees: RotationDegrees): Int32Array {
  if (!Number.isInteger(n) || n < 1) throw new MetaLearnError('invalidArgument', `rotationIndexMap: n must be an integer >= 1, got ${n}`);
  if (!ROTATIONS.includes(degrees)) throw new MetaLearnError('invalidArgument', `rotationIndexMap: degrees must be 0, 90, 180 or 270, got ${String(degrees)}`);
  const key = `${n}:${degrees}`;
  const hit = mapCache.get(key);
  if (hit) return hit;
  const map = new Int32Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let sr = r;
      let sc = c;
      if (degrees === 90) {
        sr = c;
        sc = n - 1 - r;
      } else if (degrees === 180) {
        sr = n - 1 - r;
        sc = n - 1 - c;
      } else if (degrees === 270) {
        sr = n - 1 - c;
        sc = r;
      }
      map[r * n + c] = sr * n + sc;
    }
  }
  mapCache.set(key, map);
  return map;
}

/**
 * Parses a Vinyals split rotation token (`'rot000'`, `'rot090'`, `'rot180'`, `'rot270'`).
 * @throws MetaLearnError `invalidArgument` naming the token.
 */
export function parseRotationToken(token: string): RotationDegrees {
  const m = /^rot(\d{3})$/.exec(token);
  const deg = m ? Number(m[1]) : NaN;
  if (!ROTATIONS.includes(deg as RotationDegrees)) {
    throw new MetaLearnError('invalidArgument', `parseRotationToken: token must be rot000, rot090, rot180 or rot270, got '${token}'`);
  }
  return deg as RotationDegrees;
}

/** The split-file token of a rotation: `90 → 'rot090'`. */
export function rotationToken(degrees: RotationDegrees): string {
  return `rot${String(degrees).padStart(3, '0')}`;
}
