// Child process for the SQLite crash test: commits batches of creates forever, printing each acknowledged batch
// number, until the parent SIGKILLs it (most likely in the middle of a transaction).
import { openStore } from '../../src/open-store.js';
import { crashBatch, CRASH_SHARD } from './crash-batch.js';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: sqlite-crash-child <url>');
const store = await openStore({ url, migrate: true });
const lease = await store.shards.acquireShard(CRASH_SHARD, 'crash-child', 60_000, 0);
for (let b = 0; ; b++) {
  await store.executions.commitShardBatch(lease, crashBatch(b, CRASH_SHARD));
  process.stdout.write(`${b}\n`);
}
