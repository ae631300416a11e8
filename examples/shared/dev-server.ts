// Test helper: a dev server in the test's own process on an in-memory SQLite database.
import { type DevServer, startDevServer } from '@odin/server';

export async function withDevServer<T>(body: (address: string) => Promise<T>): Promise<T> {
  const server: DevServer = await startDevServer({ port: 0 });
  try {
    return await body(server.address);
  } finally {
    await server.stop();
  }
}
