/**
 * Parsers of the CLI's flag values (commander's `argParser`): integers, decimal numbers and JSON.
 * Each returns a function of the raw string that throws a `MetaLearnError` naming the flag.
 */
import { MetaLearnError } from '@metalearn/core';

/** A decimal number: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A finite decimal number (`0.1`, `1e-3`, `-2`). `Number()` alone would take `''` and `' '` as 0,
 * `0x10` as 16 and `Infinity` as a number; those are refused.
 * @param name - the flag, for the error (e.g. `--inner-lr`).
 * @returns the parser.
 * @throws MetaLearnError `invalidArgument` (from the parser) naming the flag and the value.
 */
export function numberFlag(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!DECIMAL.test(v) || !Number.isFinite(n)) throw new MetaLearnError('invalidArgument', `${name} must be a finite decimal number, got '${v}'`);
    return n;
  };
}

/**
 * An integer in decimal notation (`600`, `1e5`).
 * @param name - the flag, for the error (e.g. `--meta-steps`).
 * @returns the parser.
 * @throws MetaLearnError `invalidArgument` (from the parser) naming the flag and the value.
 */
export function integerFlag(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!DECIMAL.test(v) || !Number.isSafeInteger(n)) throw new MetaLearnError('invalidArgument', `${name} must be an integer in decimal notation, of magnitude at most 2^53 - 1, got '${v}'`);
    return n;
  };
}

/**
 * A JSON value (options objects such as `--solver-options '{"lambda":2}'`).
 * @param name - the flag, for the error.
 * @returns the parser.
 * @throws MetaLearnError `invalidArgument` (from the parser) naming the flag, the value and JSON's parse error.
 */
export function jsonFlag(name: string): (v: string) => unknown {
  return (v) => {
    try {
      return JSON.parse(v);
    } catch (e) {
      throw new MetaLearnError('invalidArgument', `${name} must be JSON, got '${v}' (${e instanceof Error ? e.message : String(e)})`);
    }
  };
}
