/**
 * Reading a dataset plugin's `options` (plain JSON from code, a config file or CLI flags):
 * typed getters that name the option in their errors, and a check that rejects unknown options
 * (a typo must not be silently ignored).
 */
import { MetaLearnError, type PluginOptions } from '@metalearn/core';
import type { AffineWarp } from '../warp.js';

/**
 * Reads an optional option of a given JS type.
 * @param fn - the plugin's create function, for messages.
 * @throws MetaLearnError `invalidArgument` naming the option when its type is wrong.
 */
export function readOption<T extends 'string' | 'number' | 'boolean'>(
  fn: string,
  options: PluginOptions | undefined,
  name: string,
  type: T,
): (T extends 'string' ? string : T extends 'number' ? number : boolean) | undefined {
  const v = options?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw new MetaLearnError('invalidArgument', `${fn}: options.${name} must be a ${type}, got ${JSON.stringify(v)}`);
  return v as never;
}

/**
 * Reads an optional `[lo, hi]` pair of numbers.
 * @throws MetaLearnError `invalidArgument` naming the option when it is not two numbers.
 */
export function readRangeOption(fn: string, options: PluginOptions | undefined, name: string): readonly [number, number] | undefined {
  const v = options?.[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') {
    throw new MetaLearnError('invalidArgument', `${fn}: options.${name} must be [lo, hi], got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
}

/**
 * Reads the `cacheDir` option: a path, `false` (no cache) or absent (the default directory).
 * @throws MetaLearnError `invalidArgument` on another type.
 */
export function readCacheDirOption(fn: string, options: PluginOptions | undefined): string | false | undefined {
  const v = options?.['cacheDir'];
  if (v !== undefined && v !== false && typeof v !== 'string') {
    throw new MetaLearnError('invalidArgument', `${fn}: options.cacheDir must be a path or false, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Rejects options the plugin does not know.
 * @throws MetaLearnError `invalidArgument` naming the unknown option and listing the known ones.
 */
export function rejectUnknownOptions(fn: string, options: PluginOptions | undefined, known: readonly string[]): void {
  for (const k of Object.keys(options ?? {})) {
    if (!known.includes(k)) throw new MetaLearnError('invalidArgument', `${fn}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/**
 * Checks that `split` is one of `splits`.
 * @throws MetaLearnError `invalidArgument` listing the valid splits.
 */
export function checkSplit(fn: string, split: string, splits: readonly string[]): void {
  if (!splits.includes(split)) throw new MetaLearnError('invalidArgument', `${fn}: args.split must be one of ${splits.join(', ')}, got '${split}'`);
}

/**
 * Reads the `warp` option of an image dataset: `{ shear?, scale?, rotationDeg?, translatePx? }`
 * (see warp.ts), or absent.
 * @throws MetaLearnError `invalidArgument` naming the field when it is not a number (pair).
 */
export function readWarpOption(fn: string, options: PluginOptions | undefined): AffineWarp | undefined {
  const v = options?.['warp'];
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MetaLearnError('invalidArgument', `${fn}: options.warp must be an object { shear, scale, rotationDeg, translatePx }, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  rejectUnknownOptions(`${fn} (options.warp)`, o, ['shear', 'scale', 'rotationDeg', 'translatePx']);
  const out: { shear?: number; scale?: number; rotationDeg?: number; translatePx?: readonly [number, number] } = {};
  for (const k of ['shear', 'scale', 'rotationDeg'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'number') throw new MetaLearnError('invalidArgument', `${fn}: options.warp.${k} must be a number, got ${JSON.stringify(o[k])}`);
    out[k] = o[k];
  }
  const t = readRangeOption(`${fn} (options.warp)`, o, 'translatePx');
  if (t) out.translatePx = t;
  return out;
}
