/**
 * Plugins by dependency injection (inversify 8). Every interchangeable part — backbone, head,
 * inner solver, learner (outer rule), dataset — is bound by name under a typed service
 * identifier exported here. A package exports one `ContainerModule` that calls
 * {@link bindPlugin} for each part it provides; a host (the CLI, the harness, a user's script)
 * loads the modules it wants and resolves parts by name with {@link resolvePlugin} or lists them
 * with {@link listPlugins}. Third-party parts are registered the same way.
 */
import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import type { ContainerModuleLoadOptions } from 'inversify';
import { MetaLearnError } from './errors.js';
import type { Backbone } from './backbone.js';
import type { Head } from './head.js';
import type { InnerSolver } from './inner-solver.js';
import type { Learner } from './learner.js';
import type { EpisodeSource } from './episode.js';

/** The kinds of interchangeable parts. */
export type PluginKind = 'backbone' | 'head' | 'innerSolver' | 'learner' | 'dataset';

/** Options given to a factory: plain JSON values from code, a config file or CLI flags. */
export type PluginOptions = Readonly<Record<string, unknown>>;

/**
 * A named, documented factory of one part.
 * @typeParam K - the kind.
 * @typeParam A - what `create` takes.
 * @typeParam T - what `create` returns.
 */
export interface Plugin<K extends PluginKind, A, T> {
  readonly kind: K;
  /** Unique within its kind, e.g. `'ridge'`. Lower camel case or kebab case. */
  readonly name: string;
  /** One line for `metalearn doctor` and `--help`. */
  readonly summary: string;
  /** Package that provides it, e.g. `'@metalearn/r2d2'` (third parties: their package name). */
  readonly provider: string;
  /** Builds the part. @throws MetaLearnError `invalidArgument` on bad options. */
  create(args: A): T;
}

/** Arguments of a backbone factory: the example shape and plugin-specific options. */
export interface BackboneArgs {
  readonly inputShape: readonly number[];
  readonly options?: PluginOptions;
}
/** Arguments of a learner factory: the parts it composes, its seed and options. */
export interface LearnerArgs {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly solver: InnerSolver;
  readonly task: { readonly kind: 'classification' | 'regression'; readonly ways: number };
  readonly seed: number;
  readonly options?: PluginOptions;
}

export type BackbonePlugin = Plugin<'backbone', BackboneArgs, Backbone>;
export type HeadPlugin = Plugin<'head', PluginOptions | undefined, Head>;
export type InnerSolverPlugin = Plugin<'innerSolver', PluginOptions | undefined, InnerSolver>;
export type LearnerPlugin = Plugin<'learner', LearnerArgs, Learner>;
/**
 * Arguments of a dataset factory: which split, the episode shape, the seed of the episodes and
 * where the files are (`dataDir`; default `METALEARN_DATA_DIR`).
 */
export interface DatasetArgs {
  readonly split: string;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  readonly seed: number;
  readonly dataDir?: string;
  readonly options?: PluginOptions;
}
/** A dataset factory: opens a split as a deterministic {@link EpisodeSource}. */
export type DatasetPlugin = Plugin<'dataset', DatasetArgs, Promise<EpisodeSource>>;

/** The plugin type of each kind. */
export interface PluginTypes {
  backbone: BackbonePlugin;
  head: HeadPlugin;
  innerSolver: InnerSolverPlugin;
  learner: LearnerPlugin;
  dataset: DatasetPlugin;
}

/** Typed service identifiers, one per kind (shared across copies of the package via Symbol.for). */
export const PluginIds: { readonly [K in PluginKind]: ServiceIdentifier<PluginTypes[K]> } = {
  backbone: Symbol.for('@metalearn/core/Backbone'),
  head: Symbol.for('@metalearn/core/Head'),
  innerSolver: Symbol.for('@metalearn/core/InnerSolver'),
  learner: Symbol.for('@metalearn/core/Learner'),
  dataset: Symbol.for('@metalearn/core/Dataset'),
};

/** Catalogue entry bound unconstrained beside each named binding, so parts can be listed. */
interface CatalogueEntry {
  readonly kind: PluginKind;
  readonly name: string;
}
const CatalogueId: ServiceIdentifier<CatalogueEntry> = Symbol.for('@metalearn/core/PluginCatalogue');

/**
 * Binds `plugin` under its kind's identifier, named `plugin.name` (`whenNamed`).
 * Call it from a `ContainerModule`'s load function.
 * @param options - the load options inversify passes to the module.
 * @param plugin - the part's factory.
 * @throws MetaLearnError `duplicatePlugin` when the kind already has a part of that name.
 * @throws MetaLearnError `invalidArgument` when the kind is unknown, `create` is not a function or the name is empty.
 */
export function bindPlugin<K extends PluginKind>(options: ContainerModuleLoadOptions, plugin: PluginTypes[K] & { kind: K }): void {
  if (plugin === null || typeof plugin !== 'object' || !Object.hasOwn(PluginIds, plugin.kind)) {
    const got = plugin === null || typeof plugin !== 'object' ? String(plugin) : `'${String((plugin as { kind?: unknown }).kind)}' (plugin '${String((plugin as { name?: unknown }).name)}')`;
    throw new MetaLearnError('invalidArgument', `bindPlugin: plugin.kind must be one of ${Object.keys(PluginIds).join(', ')}, got ${got}`);
  }
  const id = PluginIds[plugin.kind] as ServiceIdentifier<PluginTypes[K]>;
  if (typeof plugin.create !== 'function') {
    throw new MetaLearnError('invalidArgument', `bindPlugin: plugin.create must be a function (${plugin.kind} '${String(plugin.name)}')`);
  }
  if (typeof plugin.name !== 'string' || plugin.name.trim() === '') {
    throw new MetaLearnError('invalidArgument', `bindPlugin: plugin.name must be a non-empty string (kind '${plugin.kind}')`);
  }
  if (options.isBound(id, { name: plugin.name })) {
    throw new MetaLearnError('duplicatePlugin', `bindPlugin: a ${plugin.kind} named '${plugin.name}' is already bound (provider ${plugin.provider})`);
  }
  options.bind(id).toConstantValue(plugin).whenNamed(plugin.name);
  options.bind(CatalogueId).toConstantValue({ kind: plugin.kind, name: plugin.name });
}

/**
 * A `ContainerModule` that binds the given plugins: what each package exports.
 * @example export const r2d2Module = pluginModule([ridgeSolverPlugin]);
 */
export function pluginModule(plugins: ReadonlyArray<PluginTypes[PluginKind]>): ContainerModule {
  return new ContainerModule((options) => {
    for (const p of plugins) bindPlugin(options, p as PluginTypes[PluginKind] & { kind: PluginKind });
  });
}

/**
 * A new container with the given modules loaded (synchronously, inversify 8).
 * @throws MetaLearnError `duplicatePlugin` when two modules bind the same kind and name.
 */
export function createPluginContainer(...modules: ContainerModule[]): Container {
  const c = new Container();
  for (const m of modules) c.load(m);
  return c;
}

/**
 * Resolves a part by kind and name.
 * @throws MetaLearnError `unknownPlugin` listing the names that are registered.
 */
export function resolvePlugin<K extends PluginKind>(container: Container, kind: K, name: string): PluginTypes[K] {
  const id = PluginIds[kind] as ServiceIdentifier<PluginTypes[K]>;
  if (!container.isBound(id, { name })) {
    const known = listPlugins(container, kind).map((p) => p.name);
    throw new MetaLearnError('unknownPlugin', `resolvePlugin: no ${kind} named '${name}' is registered (registered: ${known.join(', ') || 'none'})`);
  }
  return container.get(id, { name });
}

/** Every registered part of `kind`, sorted by name. */
export function listPlugins<K extends PluginKind>(container: Container, kind: K): PluginTypes[K][] {
  const id = PluginIds[kind] as ServiceIdentifier<PluginTypes[K]>;
  const entries = container.isBound(CatalogueId) ? container.getAll(CatalogueId) : [];
  return entries
    .filter((e) => e.kind === kind)
    .map((e) => container.get(id, { name: e.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
