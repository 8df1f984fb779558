/**
 * The host container of the CLI and harness: every first-party package's `ContainerModule`,
 * plus any third-party modules given by the caller. Parts are then resolved by name.
 */
import type { ContainerModule } from 'inversify';
import { createPluginContainer, coreModule } from '@metalearn/core';
import { mamlModule } from '@metalearn/maml';
import { reptileModule } from '@metalearn/reptile';
import { r2d2Module } from '@metalearn/r2d2';
import { metaoptnetModule } from '@metalearn/metaoptnet';
import { imamlModule } from '@metalearn/imaml';
import { caviaModule } from '@metalearn/cavia';
import { datasetsModule } from '@metalearn/datasets';

/** The modules of every first-party package, in dependency order (core first). */
export function firstPartyModules(): ContainerModule[] {
  return [coreModule, mamlModule, reptileModule, r2d2Module, metaoptnetModule, imamlModule, caviaModule, datasetsModule];
}

/**
 * A container with every first-party part and the given extra (third-party) modules.
 * @param extra - third-party modules, e.g. one binding a custom InnerSolver by name.
 * @throws MetaLearnError `duplicatePlugin` when a name is bound twice in one kind.
 */
export function createHostContainer(...extra: ContainerModule[]) {
  return createPluginContainer(...firstPartyModules(), ...extra);
}
