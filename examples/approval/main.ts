// node --conditions=@odin/source --import tsx examples/approval/main.ts   (with `hugo-orchestrator server start-dev` running)
import { main } from '../shared/environment.js';
import { approvalExample } from './example.js';

await main(approvalExample);
