/**
 * The inversify `ContainerModule` of @metalearn/imaml: binds this package's parts by name.
 */
import { pluginModule } from '@metalearn/core';

/** Binds every part @metalearn/imaml provides. Load it with `createPluginContainer(...)`. */
export const imamlModule = pluginModule([]);
