#!/usr/bin/env node
// `hugo-orchestrator`: loads only the command-line definitions; each command imports what it runs (the server,
// the SDK) when it runs, so `--help` answers at once.
import { enableCompileCache } from 'node:module';

// Node's on-disk cache of compiled modules (in the OS temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE
// turns it off): the server loads ~1,200 modules, and compiling them was a fifth of start-dev's time to ready. Node
// checks each entry against the file's content and its own version, so a stale entry is recompiled, never used.
// Enabled before the imports below, which are dynamic so that they come after it.
enableCompileCache?.();

const { processIo } = await import('./commands/io.js');
const { buildProgram } = await import('./program.js');
await buildProgram(processIo()).parseAsync(process.argv);
