import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  test('applies the documented defaults when no variable is set', () => {
    const config = loadConfig({});
    assert.equal(config.shardCount, 512);
    assert.equal(config.historyRetentionDays, 30);
    assert.equal(config.frontendPort, 7233);
    assert.equal(config.bindIp, '127.0.0.1');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dbConnection, undefined);
  });

  test('reads HUGO_ORCHESTRATOR_* variables and coerces numbers', () => {
    const config = loadConfig({
      HUGO_ORCHESTRATOR_DB_CONNECTION: 'postgres://postgres@127.0.0.1:5432/odin',
      HUGO_ORCHESTRATOR_SHARD_COUNT: '16',
      HUGO_ORCHESTRATOR_HISTORY_RETENTION_DAYS: '7',
      HUGO_ORCHESTRATOR_OTLP_ENDPOINT: 'http://localhost:4317',
      HUGO_ORCHESTRATOR_LOG_LEVEL: 'debug',
    });
    assert.equal(config.dbConnection, 'postgres://postgres@127.0.0.1:5432/odin');
    assert.equal(config.shardCount, 16);
    assert.equal(config.historyRetentionDays, 7);
    assert.equal(config.otlpEndpoint, 'http://localhost:4317');
    assert.equal(config.logLevel, 'debug');
  });

  test('overrides from flags win over the environment', () => {
    const config = loadConfig({ HUGO_ORCHESTRATOR_FRONTEND_PORT: '7000' }, { frontendPort: 0 });
    assert.equal(config.frontendPort, 0);
  });

  test('empty variables count as unset', () => {
    assert.equal(loadConfig({ HUGO_ORCHESTRATOR_SHARD_COUNT: '  ' }).shardCount, 512);
  });

  test('names every bad variable and its value in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          HUGO_ORCHESTRATOR_SHARD_COUNT: 'many',
          HUGO_ORCHESTRATOR_LOG_LEVEL: 'loud',
          HUGO_ORCHESTRATOR_OTLP_ENDPOINT: 'not a url',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        assert.match(error.message, /HUGO_ORCHESTRATOR_SHARD_COUNT="many"/);
        assert.match(error.message, /HUGO_ORCHESTRATOR_LOG_LEVEL="loud": must be one of trace/);
        assert.match(error.message, /HUGO_ORCHESTRATOR_OTLP_ENDPOINT="not a url": must be a URL/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ HUGO_ORCHESTRATOR_OTLP_ENDPOINT: 'grpc://collector:4317' }),
      /HUGO_ORCHESTRATOR_OTLP_ENDPOINT="grpc:\/\/collector:4317": must be a URL such as http:\/\/localhost:4318/,
    );
  });

  test('cluster settings: ports, broadcast address and a membership TTL of at least two heartbeats', () => {
    const config = loadConfig({
      HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
      HUGO_ORCHESTRATOR_MATCHING_PORT: '7335',
      HUGO_ORCHESTRATOR_BROADCAST_ADDRESS: '10.0.0.7',
      HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS: '500',
      HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS: '3000',
      HUGO_ORCHESTRATOR_DB_POOL_SIZE: '4',
    });
    assert.deepEqual(
      [
        config.historyPort,
        config.matchingPort,
        config.broadcastAddress,
        config.membershipTtlMs,
        config.dbPoolSize,
      ],
      [0, 7335, '10.0.0.7', 3000, 4],
    );
    assert.deepEqual([loadConfig({}).historyPort, loadConfig({}).matchingPort], [7234, 7235]);
    assert.throws(
      () => loadConfig({ HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS: '1500' }),
      /HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS="1500": must be at least twice HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS/,
    );
  });

  test('eager activities and eager workflow start are on unless switched off; only true/false/1/0 are accepted', () => {
    assert.equal(loadConfig({}).eagerActivityExecution, true);
    assert.equal(loadConfig({}).eagerWorkflowStart, true);
    assert.equal(loadConfig({ HUGO_ORCHESTRATOR_EAGER_WORKFLOW_START: 'false' }).eagerWorkflowStart, false);
    assert.equal(
      loadConfig({ HUGO_ORCHESTRATOR_EAGER_ACTIVITY_EXECUTION: 'false' }).eagerActivityExecution,
      false,
    );
    assert.equal(
      loadConfig({ HUGO_ORCHESTRATOR_EAGER_ACTIVITY_EXECUTION: '0' }).eagerActivityExecution,
      false,
    );
    assert.throws(
      () => loadConfig({ HUGO_ORCHESTRATOR_EAGER_ACTIVITY_EXECUTION: 'no' }),
      /EAGER_ACTIVITY_EXECUTION="no": must be true or false/,
    );
  });

  test('refuses a shard count of zero', () => {
    assert.throws(
      () => loadConfig({ HUGO_ORCHESTRATOR_SHARD_COUNT: '0' }),
      /SHARD_COUNT="0": must be at least 1/,
    );
  });
});
