export { longPollEnd, MAX_LONG_POLL_MS } from './long-poll.js';
export { MatchingService, type MatchingServiceDeps, SYNC_MATCH_WAIT_MS } from './matching-service.js';
