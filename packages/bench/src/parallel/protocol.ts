/**
 * What the main thread and a meta-gradient worker exchange: plain, structured-cloneable data.
 */
import type { BackendName, MetaGradient, MetaLearnErrorKind, ParamSnapshot } from '@metalearn/core';
import type { Composition, TaskShape } from '../compose.js';
import type { TransferEpisode } from './episode-transfer.js';

/**
 * How a worker builds its copy of the learner: the run's composition (names and options of the
 * parts, resolved from the first-party plug-in container plus `plugins` exactly as `train` does), task shape,
 * seed and backend.
 */
export interface LearnerRecipe {
  readonly composition: Composition;
  readonly task: TaskShape;
  readonly seed: number;
  /** The main thread's backend; the worker initialises the same one. */
  readonly backend: BackendName;
  /** Third-party plug-in modules to import and load beside the first-party ones (resolved specifiers, see plugin-modules.ts). */
  readonly plugins?: readonly string[];
}

/** A request to a worker: build (once) the learner of `recipe`; with `work`, compute one part's meta-gradient. */
export interface WorkerRequest {
  readonly recipe: LearnerRecipe;
  readonly work?: {
    /** The learner's current point (imported before computing). */
    readonly params: ParamSnapshot;
    /** Index of `episodes[0]` in the meta-batch. */
    readonly firstTask: number;
    readonly episodes: readonly TransferEpisode[];
  };
}

/** A worker's answer: the part, or the error it raised (its kind kept, since errors lose their class across threads). */
export type WorkerReply =
  | { readonly ok: true; readonly gradient?: MetaGradient }
  | { readonly ok: false; readonly kind?: MetaLearnErrorKind; readonly message: string; readonly stack?: string };
