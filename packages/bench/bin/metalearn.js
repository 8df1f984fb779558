#!/usr/bin/env node
// The `metalearn` command. A committed shim, so that npm can link the bin at install time, before
// `npm ci`'s prepare step (tsc -b) has built dist/.
import '../dist/cli.js';
