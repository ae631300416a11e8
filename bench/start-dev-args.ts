// The CLI arguments the benches start `server start-dev` with: a SQLite file, no web UI, the HTTP API on a free port.
export function startDevArgs(port: number, file: string): string[] {
  return [
    'server',
    'start-dev',
    '--port',
    String(port),
    '--db-filename',
    file,
    '--headless',
    '--http-port',
    '0',
  ];
}
