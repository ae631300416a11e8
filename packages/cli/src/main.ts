#!/usr/bin/env node
// `hugo-orchestrator`: loads only the command-line definitions; each command imports what it runs (the server,
// the SDK) when it runs, so `--help` answers at once.
import { processIo } from './commands/io.js';
import { buildProgram } from './program.js';

await buildProgram(processIo()).parseAsync(process.argv);
