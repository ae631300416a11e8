// node --conditions=@odin/source --import tsx examples/versioned/main.ts   (with `hugo-orchestrator server start-dev` running)
import { main } from '../shared/environment.js';
import { runVersionedExample } from './example.js';

await main(async (address) => {
  const { oldRun, newRun, newRunMarkers } = await runVersionedExample(address);
  return { oldRun, newRun, newRunMarkers };
});
