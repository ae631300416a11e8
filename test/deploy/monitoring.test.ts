// The dashboards (deploy/grafana) and alert rules (deploy/prometheus) against what Odin really exposes: every
// expression parses as PromQL, every metric it reads is on GET /metrics of a dev server that ran a few workflows, and
// every alert links a runbook section of docs/operations.md.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';
import { parser } from '@prometheus-io/lezer-promql';
import { type DevServer, startDevServer } from '@odin/server';
import { parse } from 'yaml';
import * as activities from './activities.js';
import { freePort } from '@odin/test-ports';
import { repoRoot } from './tools.js';
import * as workflows from './workflows.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: { name: string; definition?: string }[] };
}

const rules = (
  parse(readFileSync(join(repoRoot, 'deploy/prometheus/odin-alerts.yaml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  }
).groups.flatMap((group) => group.rules);
const grafanaDir = join(repoRoot, 'deploy/grafana');
const dashboardFiles = readdirSync(grafanaDir).filter((name) => name.endsWith('.json'));
const dashboards = new Map(
  dashboardFiles.map((name) => [name, JSON.parse(readFileSync(join(grafanaDir, name), 'utf8')) as Dashboard]),
);

/** Every PromQL expression with where it comes from. */
function expressions(): { where: string; expr: string }[] {
  const all = rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
  for (const [file, dashboard] of dashboards) {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? [])
        all.push({ where: `${file} "${panel.title}"`, expr: target.expr });
    }
  }
  return all;
}

/** Grafana's variables, replaced by values Prometheus accepts, so the query parses as it will run. */
function asPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');
}

/** The syntax errors of an expression (lezer-promql, the parser of Prometheus's own UI), and its metric names. */
function analyse(expr: string): { errors: string[]; metrics: string[] } {
  const text = asPromQL(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`syntax error at ${node.from}: "${text.slice(node.from, node.to + 10)}"`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.push(text.slice(node.from, node.to));
      }
    },
  });
  return { errors, metrics };
}

/** GitHub's anchor of a Markdown heading. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

describe('dashboards and alert rules', () => {
  test('the dashboard JSON is what deploy/grafana/build-dashboards.mjs writes', async () => {
    const generator = (await import(join(grafanaDir, 'build-dashboards.mjs'))) as {
      dashboards(): Record<string, unknown>;
      dashboardText(json: unknown): string;
    };
    const generated = generator.dashboards();
    assert.deepEqual(Object.keys(generated).sort(), [...dashboardFiles].sort());
    for (const [name, json] of Object.entries(generated)) {
      assert.equal(
        readFileSync(join(grafanaDir, name), 'utf8'),
        generator.dashboardText(json),
        `${name} is stale: run node deploy/grafana/build-dashboards.mjs`,
      );
    }
  });

  test('the dashboards cover RPCs, workflows, shards, task queues, persistence and the Node.js runtime', () => {
    const used = new Set(expressions().flatMap(({ expr }) => analyse(expr).metrics));
    for (const metric of [
      'rpc_requests_total',
      'rpc_latency_seconds_bucket',
      'workflow_started_total',
      'workflow_closed_total',
      'workflow_duration_seconds_bucket',
      'history_shard_ownership',
      'task_queue_latency_seconds_bucket',
      'matching_backlog_tasks',
      'persistence_latency_seconds_bucket',
      'persistence_errors_total',
      'persistence_commit_queue_seconds_bucket',
      'persistence_commit_transitions_bucket',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds_sum',
    ]) {
      assert.ok(used.has(metric), `a panel reads ${metric}`);
    }
  });

  test('every dashboard and alert expression parses as PromQL', () => {
    const all = expressions();
    assert.ok(all.length > 30, `${all.length} expressions`);
    const broken = all.flatMap(({ where, expr }) =>
      analyse(expr).errors.map((error) => `${where}: ${error}`),
    );
    assert.deepEqual(broken, []);
    // The parser does report errors.
    assert.notDeepEqual(analyse('sum(rate(rpc_requests_total[5m])').errors, []);
  });

  test('every alert has a severity, a summary and a runbook_url naming a section of docs/operations.md', () => {
    const docs = readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8');
    const anchors = new Set([...docs.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] ?? '')));
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, rule.alert);
      assert.ok(rule.annotations?.summary, `${rule.alert} has a summary`);
      const url = rule.annotations?.runbook_url ?? '';
      const [path, fragment] = url.split('#');
      assert.equal(path, 'docs/operations.md', `${rule.alert} runbook_url`);
      assert.ok(anchors.has(fragment ?? ''), `${rule.alert}: docs/operations.md has a section #${fragment}`);
    }
    for (const alert of [
      'HistoryShardUnowned',
      'PersistenceErrors',
      'TaskQueueBacklogGrowing',
      'HighRpcLatency',
    ]) {
      assert.ok(
        rules.some((rule) => rule.alert === `Odin${alert}`),
        `alert Odin${alert} exists`,
      );
    }
  });

  describe('against a dev server that ran workflows', () => {
    let server: DevServer;
    let exposition = '';
    const TASK_QUEUE = 'metrics-check';

    before(async () => {
      // Port 0 turns metrics off, so the metrics port is named.
      const metricsPort = await freePort();
      server = await startDevServer({ port: 0, metricsPort, env: {} });
      const connection = Connection.connect({ address: server.address });
      try {
        const worker = await Worker.create({
          connection,
          taskQueue: TASK_QUEUE,
          workflows,
          activities,
          shutdownGraceMs: 1000,
        });
        await worker.runUntil(async () => {
          const client = new WorkflowClient({ connection });
          for (let i = 0; i < 3; i++) {
            const handle = await client.start(workflows.greet, {
              taskQueue: TASK_QUEUE,
              workflowId: `metrics-greet-${i}`,
              args: [`odin ${i}`],
            });
            assert.equal(await handle.result(), `HELLO ODIN ${i}`);
          }
          const refused = await client.start(workflows.refuse, {
            taskQueue: TASK_QUEUE,
            workflowId: 'metrics-refuse',
            args: ['no'],
          });
          await assert.rejects(refused.result());
        });
      } finally {
        connection.close();
      }
      exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    });

    after(async () => {
      await server?.stop();
    });

    /** Metric families the exposition declares (`# TYPE name type`). */
    function families(): Map<string, string> {
      return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    }

    /** Whether a series name belongs to a declared family: itself, or a histogram's/summary's _bucket, _sum, _count. */
    function declared(name: string): boolean {
      const declaredFamilies = families();
      if (declaredFamilies.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && ['histogram', 'summary'].includes(declaredFamilies.get(base) ?? '');
    }

    function sampled(name: string): boolean {
      return new RegExp(`^${name}(\\{| )`, 'm').test(exposition);
    }

    test('every metric a dashboard panel or an alert reads is exposed', () => {
      const missing = expressions().flatMap(({ where, expr }) =>
        analyse(expr)
          .metrics.filter((metric) => !declared(metric))
          .map((metric) => `${where}: ${metric}`),
      );
      assert.deepEqual(missing, []);
      assert.equal(declared('workflow_duration_seconds_bucket'), true);
      assert.equal(declared('workflow_started_total_bucket'), false);
    });

    test('the workflows produced samples of the workflow, RPC, task-queue, shard, persistence and Node.js metrics', () => {
      for (const name of [
        'workflow_started_total',
        'workflow_closed_total',
        'workflow_duration_seconds_bucket',
        'rpc_requests_total',
        'rpc_latency_seconds_bucket',
        'task_queue_latency_seconds_bucket',
        'matching_tasks_added_total',
        'history_shard_ownership',
        'persistence_latency_seconds_bucket',
        'persistence_commit_queue_seconds_bucket',
        'persistence_commit_transitions_bucket',
        'process_cpu_seconds_total',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_heap_size_used_bytes',
        'nodejs_gc_duration_seconds_bucket',
      ]) {
        assert.ok(sampled(name), `${name} has samples`);
      }
      // Histograms without labels are exposed before their first observation: the group commits' must have counted.
      for (const name of ['persistence_commit_queue_seconds_count', 'persistence_commit_transitions_count']) {
        const count = Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(exposition)?.[1] ?? 0);
        assert.ok(count > 0, `${name} counted the workflows' commits (${count})`);
      }
      assert.match(
        exposition,
        /^workflow_closed_total\{namespace="default",workflow_type="refuse",status="failed"\} 1$/m,
      );
      assert.match(
        exposition,
        /^task_queue_latency_seconds_count\{queue_name="metrics-check",task_type="(workflow|activity)"\} \d+$/m,
      );
    });

    test('each family is exposed once, and no label carries a run or workflow id', () => {
      const typeLines = [...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      assert.equal(new Set(typeLines).size, typeLines.length, 'no family appears twice');
      assert.doesNotMatch(exposition, /metrics-greet-\d|metrics-refuse/);
    });
  });
});
