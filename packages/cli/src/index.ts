// hugo-orchestrator as a library: the command line run in process (tests, embedding). The server it starts is
// @odin/server's.
export { type CliIo, ExitCode } from './commands/index.js';
export { buildProgram, runCommand } from './program.js';
