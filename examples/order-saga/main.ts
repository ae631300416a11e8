// node --conditions=@odin/source --import tsx examples/order-saga/main.ts   (with `hugo-orchestrator server start-dev` running)
import { main } from '../shared/environment.js';
import { orderSagaExample } from './example.js';

await main(orderSagaExample);
