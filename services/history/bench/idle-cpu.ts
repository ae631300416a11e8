// CPU an idle history host spends on lease renewals and outbox scans (512 shards by default).
//   node --conditions=@odin/source --import tsx services/history/bench/idle-cpu.ts [url]
import { SystemClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import { HistoryService } from '../src/index.js';
const clock = new SystemClock();
const store = await openStore({ url: process.argv[2] ?? 'sqlite::memory:', migrate: true, clock });
const matching = {} as never;
const h = new HistoryService({ clock, store }, { matching });
await h.start();
const c0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, 20_000));
const c = process.cpuUsage(c0);
console.log('idle cpu over 20s (ms):', ((c.user + c.system) / 1000).toFixed(0));
await h.stop();
await store.close();
