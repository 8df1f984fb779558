/**
 * Class-indexed image datasets: what the episode sampler draws from. A dataset is a list of
 * classes, each with an id string and `n_c` examples of one shape `[H, W, C]`; examples are read
 * as float32 in [0, 1] by {@link ClassIndexedDataset.writeExample}. The standard implementation
 * ({@link createUint8ImageDataset}) stores 8-bit samples (`value = q / 255`), so Omniglot takes
 * 25 MB and the 200-per-class mini-ImageNet training set 271 MB instead of four times that, and
 * applies a class's 90° rotation while copying (rotated Omniglot classes share their pixels).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';
import { rotationIndexMap, type RotationDegrees } from './rotate.js';

/**
 * A dataset indexed by class: class `c` has `exampleCount(c)` examples of shape `exampleShape`.
 * Implementations are read-only and hold no tensors.
 */
export interface ClassIndexedDataset {
  /** A short name for messages, e.g. `'omniglot/train'`. */
  readonly name: string;
  /** Shape of one example, `[H, W, C]`, e.g. `[28, 28, 1]` or `[84, 84, 3]`. */
  readonly exampleShape: readonly [number, number, number];
  /** One id per class, e.g. `'Angelic/character01/rot090'` or `'n01532829'`; unique. */
  readonly classIds: readonly string[];
  /** Number of examples of class `classIndex`. */
  exampleCount(classIndex: number): number;
  /**
   * Writes example `exampleIndex` of class `classIndex` as float32 `[H, W, C]` in [0, 1] into
   * `out` starting at `offset`.
   * @throws MetaLearnError `invalidArgument` when an index is out of range.
   */
  writeExample(classIndex: number, exampleIndex: number, out: Float32Array, offset: number): void;
}

/** One class of a {@link createUint8ImageDataset}: where its examples are in the pixel store. */
export interface Uint8ClassSpec {
  readonly id: string;
  /** Index of the class's first example in the store (examples are contiguous). */
  readonly firstExample: number;
  readonly count: number;
  /** Counter-clockwise rotation applied when reading (square images only); default 0. */
  readonly rotation?: RotationDegrees;
}

/** Elements in one example of shape `[H, W, C]`. */
export function exampleSize(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * A dataset over 8-bit samples `pixels: uint8 [N, H, W, C]` (value `q / 255`) with classes
 * given as contiguous ranges of examples, optionally rotated by multiples of 90°.
 *
 * @param name - for messages.
 * @param exampleShape - `[H, W, C]`.
 * @param pixels - the store, `N * H * W * C` bytes.
 * @param classes - one entry per class; ranges may be shared (rotated copies of a class).
 * @returns a read-only {@link ClassIndexedDataset}.
 * @throws MetaLearnError `invalidArgument` on duplicate class ids, a range outside the store,
 *   a rotation of a non-square image, or a store whose size is not a multiple of the example.
 */
export function createUint8ImageDataset(
  name: string,
  exampleShape: readonly [number, number, number],
  pixels: Uint8Array,
  classes: readonly Uint8ClassSpec[],
): ClassIndexedDataset {
  const size = exampleSize(exampleShape);
  if (!exampleShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new MetaLearnError('invalidArgument', `createUint8ImageDataset: exampleShape must be three positive integers, got [${exampleShape.join(', ')}]`);
  }
  if (pixels.length % size !== 0) {
    throw new MetaLearnError('invalidArgument', `createUint8ImageDataset: pixels must hold a whole number of ${size}-byte examples, got ${pixels.length} bytes`);
  }
  const total = pixels.length / size;
  const seen = new Set<string>();
  const [h, w, ch] = exampleShape;
  const maps: Array<Int32Array | undefined> = [];
  for (const [i, c] of classes.entries()) {
    if (seen.has(c.id)) throw new MetaLearnError('invalidArgument', `createUint8ImageDataset: classes[${i}].id '${c.id}' is a duplicate`);
    seen.add(c.id);
    if (!Number.isInteger(c.firstExample) || !Number.isInteger(c.count) || c.firstExample < 0 || c.count < 0 || c.firstExample + c.count > total) {
      throw new MetaLearnError('invalidArgument', `createUint8ImageDataset: classes[${i}] ('${c.id}') covers examples ${c.firstExample}..${c.firstExample + c.count - 1}, outside the store of ${total}`);
    }
    const rot = c.rotation ?? 0;
    if (rot !== 0 && h !== w) throw new MetaLearnError('invalidArgument', `createUint8ImageDataset: classes[${i}].rotation needs square images, got ${h}x${w}`);
    maps.push(rot === 0 ? undefined : rotationIndexMap(h, rot));
  }
  const classIds = Object.freeze(classes.map((c) => c.id));
  const check = (fn: string, classIndex: number, exampleIndex?: number): Uint8ClassSpec => {
    const c = classes[classIndex];
    if (!Number.isInteger(classIndex) || c === undefined) {
      throw new MetaLearnError('invalidArgument', `${fn}: classIndex must be an integer in [0, ${classes.length}), got ${classIndex}`);
    }
    if (exampleIndex !== undefined && (!Number.isInteger(exampleIndex) || exampleIndex < 0 || exampleIndex >= c.count)) {
      throw new MetaLearnError('invalidArgument', `${fn}: exampleIndex must be an integer in [0, ${c.count}) for class '${c.id}', got ${exampleIndex}`);
    }
    return c;
  };
  return {
    name,
    exampleShape,
    classIds,
    exampleCount: (classIndex) => check('exampleCount', classIndex).count,
    writeExample(classIndex, exampleIndex, out, offset) {
      const c = check('writeExample', classIndex, exampleIndex);
      if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) {
        throw new MetaLearnError('invalidArgument', `writeExample: offset must leave room for ${size} values in out (length ${out.length}), got ${offset}`);
      }
      const src = (c.firstExample + exampleIndex) * size;
      const map = maps[classIndex];
      if (map === undefined) {
        for (let k = 0; k < size; k++) out[offset + k] = pixels[src + k]! / 255;
      } else {
        for (let p = 0; p < h * w; p++) {
          const s = src + map[p]! * ch;
          for (let k = 0; k < ch; k++) out[offset + p * ch + k] = pixels[s + k]! / 255;
        }
      }
    },
  };
}

/**
 * All examples of one class, packed: `data: float32 [n, H, W, C]` with its shape.
 * @throws MetaLearnError `invalidArgument` when `classIndex` is out of range.
 */
export function classExamples(ds: ClassIndexedDataset, classIndex: number): { data: Float32Array; shape: [number, number, number, number] } {
  const n = ds.exampleCount(classIndex);
  const size = exampleSize(ds.exampleShape);
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) ds.writeExample(classIndex, i, data, i * size);
  return { data, shape: [n, ...ds.exampleShape] };
}

/**
 * All examples of one class as a tensor `float32 [n, H, W, C]` (the caller disposes it).
 * @throws MetaLearnError `invalidArgument` when `classIndex` is out of range.
 */
export function classTensor(ds: ClassIndexedDataset, classIndex: number): tf.Tensor4D {
  const { data, shape } = classExamples(ds, classIndex);
  return tf.tensor4d(data, shape, 'float32');
}

/**
 * The index of the class with id `classId`.
 * @throws MetaLearnError `invalidArgument` when no class has that id.
 */
export function classIndexOf(ds: ClassIndexedDataset, classId: string): number {
  const i = ds.classIds.indexOf(classId);
  if (i < 0) throw new MetaLearnError('invalidArgument', `classIndexOf: classId '${classId}' is not a class of ${ds.name}`);
  return i;
}

/**
 * A view of `ds` restricted to the classes whose id passes `keep` (e.g. one Omniglot alphabet:
 * `id => id.startsWith('Latin/')`, for the "tasks are regions" protocol).
 * @param name - the view's name; default `${ds.name}[subset]`.
 * @throws MetaLearnError `invalidArgument` when no class is kept.
 */
export function selectClasses(ds: ClassIndexedDataset, keep: (classId: string, classIndex: number) => boolean, name = `${ds.name}[subset]`): ClassIndexedDataset {
  const indices = ds.classIds.flatMap((id, i) => (keep(id, i) ? [i] : []));
  if (indices.length === 0) throw new MetaLearnError('invalidArgument', `selectClasses: keep must accept at least one class of ${ds.name}, accepted none`);
  const at = (fn: string, classIndex: number): number => {
    const i = indices[classIndex];
    if (!Number.isInteger(classIndex) || i === undefined) {
      throw new MetaLearnError('invalidArgument', `${fn}: classIndex must be an integer in [0, ${indices.length}), got ${classIndex}`);
    }
    return i;
  };
  return {
    name,
    exampleShape: ds.exampleShape,
    classIds: Object.freeze(indices.map((i) => ds.classIds[i]!)),
    exampleCount: (classIndex) => ds.exampleCount(at('exampleCount', classIndex)),
    writeExample: (classIndex, exampleIndex, out, offset) => ds.writeExample(at('writeExample', classIndex), exampleIndex, out, offset),
  };
}
