/**
 * Backend selection. metalearn runs on one of three TensorFlow.js backends, chosen once:
 * `tensorflow` (the optional peer `@tensorflow/tfjs-node`, when it loads), else `wasm`
 * (`@tensorflow/tfjs-backend-wasm`, which ships its binary: the default here), else `cpu`.
 * `METALEARN_BACKEND` (or the `backend` option) forces one. Every engine fix is installed
 * (idempotently) before the backend is set, and the choice is logged once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { MetaLearnError } from '../errors.js';
import { installEngineFixes } from './register-all.js';

/** The backends metalearn supports. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** Preference order when nothing is forced. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** What {@link initEngine} chose. */
export interface EngineInfo {
  readonly backend: BackendName;
  /** Why: `'forced by METALEARN_BACKEND'`, `'forced by option'` or `'preferred'`. */
  readonly reason: string;
  readonly tfjsVersion: string;
}

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /** Force a backend (overrides `METALEARN_BACKEND`). */
  readonly backend?: BackendName;
  /** Where the one log line goes; default `console.error`. Pass `() => {}` to silence. */
  readonly log?: (line: string) => void;
}

let tensorflowTried: Promise<boolean> | undefined;
let logged = false;

/** Tries to load `@tensorflow/tfjs-node` (optional peer); true when it registered its backend. */
function loadTensorflow(): Promise<boolean> {
  tensorflowTried ??= import('@tensorflow/tfjs-node' as string).then(
    () => {
      installEngineFixes(true); // tfjs-node's umbrella package just re-registered tfjs's own gradients
      return tf.findBackendFactory('tensorflow') !== null;
    },
    (e: unknown) => {
      tensorflowFailure = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      return false;
    },
  );
  return tensorflowTried;
}

/** Why `@tensorflow/tfjs-node` did not load (its import error), once it has been tried. */
let tensorflowFailure: string | undefined;

function parseBackend(value: string, source: string): BackendName {
  if (value === 'tensorflow' || value === 'wasm' || value === 'cpu') return value;
  throw new MetaLearnError('invalidArgument', `initEngine: ${source} must be one of tensorflow, wasm, cpu; got '${value}'`);
}

/**
 * Makes `name` the active backend (installing the engine fixes first).
 * @returns whether the backend initialised.
 */
export async function trySetBackend(name: BackendName): Promise<boolean> {
  installEngineFixes();
  if (name === 'tensorflow' && !(await loadTensorflow())) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the backend, installs every engine fix, logs the choice once.
 * Call (and await) once before any tensor work; later calls re-select cheaply.
 * @param options - `backend` to force one; `log` for the log line.
 * @returns the chosen backend and why.
 * @throws MetaLearnError `backendUnavailable` when a forced backend cannot start.
 * @throws MetaLearnError `invalidArgument` when `METALEARN_BACKEND` names no backend.
 * @example const { backend } = await initEngine(); // 'wasm' on a machine without tfjs-node
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const env = process.env['METALEARN_BACKEND'];
  let forced: BackendName | undefined;
  let reason = 'preferred';
  if (options.backend !== undefined) {
    forced = parseBackend(options.backend, 'options.backend');
    reason = 'forced by option';
  } else if (env !== undefined && env !== '') {
    forced = parseBackend(env, 'METALEARN_BACKEND');
    reason = 'forced by METALEARN_BACKEND';
  }
  const candidates = forced ? [forced] : BACKEND_PREFERENCE;
  for (const name of candidates) {
    if (tf.getBackend() === name || (await trySetBackend(name))) {
      const info: EngineInfo = { backend: name, reason, tfjsVersion: tf.version_core };
      if (!logged) {
        (options.log ?? ((l: string) => console.error(l)))(`metalearn: backend ${name} (${reason}), tfjs-core ${tf.version_core}`);
        logged = true;
      }
      return info;
    }
  }
  const why = forced === 'tensorflow' && tensorflowFailure !== undefined
    ? `: @tensorflow/tfjs-node did not load (${tensorflowFailure}); it is an optional dependency that downloads libtensorflow when installed (npm install @tensorflow/tfjs-node), and wasm is used without it`
    : '';
  throw new MetaLearnError('backendUnavailable', `initEngine: backend '${forced}' could not be initialised (${reason})${why}`);
}

/**
 * The backends that initialise on this machine, in preference order (switches to each in turn
 * and leaves the last one active). Tests loop over it to run on every backend present.
 */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of BACKEND_PREFERENCE) if (await trySetBackend(name)) out.push(name);
  return out;
}
