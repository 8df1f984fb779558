/**
 * Validation of an options object (plain JSON from code, a config file or CLI flags) with a zod
 * schema, the one way every package turns zod's issues into a `MetaLearnError` that names the
 * option, the rule it breaks and the value given. Strict object schemas reject unknown keys, so a
 * typo is never silently ignored.
 */
import type { z } from 'zod';
import { MetaLearnError } from './errors.js';

/** Longest value quoted in a message before it is cut. */
const MAX_QUOTED_CHARS = 120;

/**
 * Parses `value` with `schema`, or throws naming every offending option.
 *
 * The message is `caller: ` followed by one part per failing path, in zod's order, joined by
 * `; `: `root.path: message[; message…][ (unrecognized keys)][ (got value)]` — the path of the
 * root itself is just `root`, and the value given is quoted for every path below the root
 * (RegExps and non-finite numbers as written, strings and objects as JSON, long ones cut).
 *
 * @param schema - the zod schema (typically `z.strictObject(...)`).
 * @param value - the options as given; pass `options ?? {}` where absent means "no options".
 * @param caller - the function or plugin asking, first in the message (e.g. `createRidgeSolver`,
 *   `innerSolver 'ridge'`).
 * @param root - the name of `value` in the message; default `'options'` (e.g. `'config'`).
 * @returns the parsed value (typed; the schema's defaults and transforms applied).
 * @throws MetaLearnError `invalidArgument` when `value` does not satisfy `schema`.
 * @example
 * parseOptions(z.strictObject({ lambdaInit: z.number().positive() }), { lambdaInit: -1 }, 'createRidgeSolver');
 * // throws "createRidgeSolver: options.lambdaInit: Too small: expected number to be >0 (got -1)"
 * parseOptions(z.strictObject({ innerSteps: z.number() }), { innerStep: 3 }, "innerSolver 'gradient'");
 * // throws "innerSolver 'gradient': options: Unrecognized key: \"innerStep\" (innerStep)"
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, caller: string, root = 'options'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const parts = new Map<string, { path: readonly PropertyKey[]; messages: string[]; keys: string[] }>();
  for (const issue of parsed.error.issues) {
    const name = [root, ...issue.path.map(String)].join('.');
    let part = parts.get(name);
    if (part === undefined) {
      part = { path: issue.path, messages: [], keys: [] };
      parts.set(name, part);
    }
    part.messages.push(issue.message);
    if (issue.code === 'unrecognized_keys') part.keys.push(...issue.keys);
  }
  const text = [...parts].map(([name, p]) => {
    const keys = p.keys.length > 0 ? ` (${p.keys.join(', ')})` : '';
    const got = p.path.length > 0 ? ` (got ${quote(valueAt(value, p.path))})` : '';
    return `${name}: ${p.messages.join('; ')}${keys}${got}`;
  });
  throw new MetaLearnError('invalidArgument', `${caller}: ${text.join('; ')}`);
}

/** The value at `path` below `root` (`undefined` where the path leaves the objects). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** A value as a user would write it: JSON where JSON is faithful, else `String(v)`. */
function quote(v: unknown): string {
  let s: string;
  if (v instanceof RegExp || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'undefined' || typeof v === 'function' || typeof v === 'symbol') {
    s = String(v);
  } else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v); // cyclic
    }
  }
  return s.length > MAX_QUOTED_CHARS ? `${s.slice(0, MAX_QUOTED_CHARS)}…` : s;
}
