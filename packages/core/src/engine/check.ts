/**
 * A self-check of the engine, as run by `metalearn doctor`: computes a value that has a known
 * exact answer and compares.
 */

/** Outcome of one check. `error` is |value - expected| (or the max abs difference). */
export interface CheckResult {
  readonly name: string;
  readonly value: number | null;
  readonly expected: number | null;
  readonly error: number | null;
  readonly tolerance: number;
  readonly pass: boolean;
  /** Set when the computation threw; the check fails. */
  readonly message?: string;
}

/** A named check; `run` executes on the current backend. */
export interface EngineCheck {
  readonly name: string;
  readonly tolerance: number;
  /** Returns the measured value and the exact one (or a max error against 0). */
  run(): { value: number; expected: number; error?: number } | Promise<{ value: number; expected: number; error?: number }>;
}

/** Runs a check, turning a throw into a failed result with its message. */
export async function runCheck(check: EngineCheck): Promise<CheckResult> {
  try {
    const r = await check.run();
    const error = r.error ?? Math.abs(r.value - r.expected);
    return { name: check.name, value: r.value, expected: r.expected, error, tolerance: check.tolerance, pass: Number.isFinite(error) && error <= check.tolerance };
  } catch (e) {
    return { name: check.name, value: null, expected: null, error: null, tolerance: check.tolerance, pass: false, message: e instanceof Error ? e.message : String(e) };
  }
}
