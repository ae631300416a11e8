// A worker and a client on the installed @odin/sdk: runs greetAll against the server at the address given, and prints
// the result with where @odin/sdk was loaded from (the test checks it is this project's node_modules).
// Usage: node run.mjs <host:port>
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';

const [address] = process.argv.slice(2);
const taskQueue = `packaging-${randomUUID()}`;
const activities = {
  async greet(name) {
    return `Hello, ${name}!`;
  },
};

const connection = Connection.connect({ address });
try {
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows.mjs', import.meta.url)),
    activities,
    shutdownGraceMs: 1000,
  });
  const client = new WorkflowClient({ connection, namespace: 'default' });
  const result = await worker.runUntil(() =>
    client.execute('greetAll', { workflowId: `greet-${randomUUID()}`, taskQueue, args: [['Odin', 'Hugo']] }),
  );
  console.log(JSON.stringify({ result, sdk: import.meta.resolve('@odin/sdk') }));
} finally {
  connection.close();
}
