/**
 * The one error class of metalearn. Every error the library throws on bad input or an
 * impossible state is a `MetaLearnError` with a machine-readable {@link MetaLearnErrorKind}.
 *
 * Check with {@link MetaLearnError.is} rather than `instanceof`, so that two installed copies of
 * `@metalearn/core` (a common accident in monorepos) still recognise each other's errors
 * (the same design as inversify's `InversifyCoreError`).
 */

/** What went wrong, for programs to branch on. */
export type MetaLearnErrorKind =
  | 'invalidArgument'
  | 'shapeMismatch'
  | 'duplicatePlugin'
  | 'unknownPlugin'
  | 'notPositiveDefinite'
  | 'notConverged'
  | 'backendUnavailable'
  | 'dataNotFound'
  | 'corruptData'
  | 'notEnoughExamples'
  | 'checkpoint'
  | 'nonFinite'
  | 'unsupported';

const MARK = Symbol.for('@metalearn/core/MetaLearnError');

/**
 * An error raised by metalearn. The message names the function, the argument and what was
 * expected, e.g. `metaTrainStep: tasks[2].support.x must be float32 [25, 28, 28, 1], got [25, 28, 28]`.
 *
 * @example
 * try { learner.metaTrainStep(tasks); }
 * catch (e) { if (MetaLearnError.is(e, 'shapeMismatch')) console.error(e.message); else throw e; }
 */
export class MetaLearnError extends Error {
  /** The category of the error. */
  readonly kind: MetaLearnErrorKind;
  /** Brand checked by {@link MetaLearnError.is}; shared across copies of the package. */
  readonly [MARK] = true;

  /**
   * @param kind - the category of the error.
   * @param message - `function: argument ...` — what was given and what was expected.
   * @param options - `cause`: the underlying error, when wrapping one.
   */
  constructor(kind: MetaLearnErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetaLearnError';
    this.kind = kind;
  }

  /**
   * Whether `err` is a `MetaLearnError` (from any copy of the package), optionally of one kind.
   * @param err - any thrown value.
   * @param kind - when given, also require this kind.
   */
  static is(err: unknown, kind?: MetaLearnErrorKind): err is MetaLearnError {
    return (
      typeof err === 'object' &&
      err !== null &&
      (err as Record<symbol, unknown>)[MARK] === true &&
      (kind === undefined || (err as MetaLearnError).kind === kind)
    );
  }
}
