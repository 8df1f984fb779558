/**
 * Third-party plug-in modules for the CLI (`--plugin`): JavaScript modules that export inversify
 * `ContainerModule`s (made with core's `pluginModule`), imported at run time and loaded beside the
 * first-party ones, in the main thread and in every worker thread.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ContainerModule } from 'inversify';
import { MetaLearnError } from '@metalearn/core';

/**
 * Where a plug-in specifier points, in a form that any thread and any later working directory can
 * import: a path (`./my-solver.mjs`, `/abs/x.js`, `plugins/x.mjs` when that file exists under
 * `cwd`, or a `file:` URL) becomes an absolute `file:` URL
 * (relative paths against `cwd`); a package name (`my-metalearn-plugin`) is resolved from `cwd`'s
 * `node_modules` to a `file:` URL when Node's CommonJS resolver can, and kept as given otherwise
 * (an ESM-only package is then imported by name).
 * @param specifier - what the user gave to `--plugin`.
 * @param cwd - the directory relative paths and packages are resolved from; default `process.cwd()`.
 * @returns the specifier to `import()`.
 * @throws MetaLearnError `invalidArgument` for an empty specifier.
 */
export function resolvePluginSpecifier(specifier: string, cwd: string = process.cwd()): string {
  if (typeof specifier !== 'string' || specifier.trim() === '') throw new MetaLearnError('invalidArgument', `--plugin: a module path or package name is required, got ${JSON.stringify(specifier)}`);
  if (specifier.startsWith('file:')) return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier) || existsSync(resolve(cwd, specifier))) return pathToFileURL(resolve(cwd, specifier)).href;
  try {
    return pathToFileURL(createRequire(resolve(cwd, 'package.json')).resolve(specifier)).href;
  } catch {
    return specifier;
  }
}

/**
 * Imports plug-in modules and collects the `ContainerModule`s each exports (its default export
 * and every named export that is one), in the order given; a module given twice (e.g. relative and
 * resolved) is loaded once.
 * @param specifiers - as given to `--plugin` or as resolved by {@link resolvePluginSpecifier}.
 * @param cwd - see {@link resolvePluginSpecifier}.
 * @returns the modules to load into the host container, and the resolved specifiers (to hand to
 *   worker threads and to record with the run).
 * @throws MetaLearnError `invalidArgument` naming the specifier when it cannot be imported
 *   (with the import's own message), or when it exports no `ContainerModule`.
 * @example
 * // my-solver.mjs: export default pluginModule([{ kind: 'innerSolver', name: 'ncm', ... }]);
 * const { modules } = await loadPluginModules(['./my-solver.mjs']);
 * const container = createHostContainer(...modules);
 */
export async function loadPluginModules(specifiers: readonly string[], cwd: string = process.cwd()): Promise<{ modules: ContainerModule[]; resolved: string[] }> {
  const modules: ContainerModule[] = [];
  const resolved: string[] = [];
  for (const given of specifiers) {
    const target = resolvePluginSpecifier(given, cwd);
    if (resolved.includes(target)) continue;
    let ns: Record<string, unknown>;
    try {
      ns = (await import(target)) as Record<string, unknown>;
    } catch (e) {
      throw new MetaLearnError('invalidArgument', `--plugin ${given}: cannot import ${target}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const found = [...new Set(Object.values(ns).filter((v): v is ContainerModule => v instanceof ContainerModule))];
    if (found.length === 0) {
      throw new MetaLearnError('invalidArgument', `--plugin ${given}: the module exports no inversify ContainerModule (export one made with pluginModule from @metalearn/core, as its default or a named export; exports seen: ${Object.keys(ns).join(', ') || 'none'})`);
    }
    modules.push(...found);
    resolved.push(target);
  }
  return { modules, resolved };
}
