// node --conditions=@odin/source --import tsx examples/fan-out/main.ts   (with `hugo-orchestrator server start-dev` running)
import { main } from '../shared/environment.js';
import { fanOutExample } from './example.js';

await main(fanOutExample);
