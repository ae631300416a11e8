// Writes the Grafana dashboards of this folder (odin-server.json, odin-runtime.json) from the panel lists below:
// one place to read every query, and JSON that stays uniform. Run `node deploy/grafana/build-dashboards.mjs` after
// changing a panel; test/deploy checks the committed JSON is what this script writes, that every query parses as
// PromQL and that every metric it reads is one a running server exposes.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const RATE = '$__rate_interval';
/** Grafana's data-source variable (a Grafana placeholder, not a JavaScript one). */
const DATASOURCE = { type: 'prometheus', uid: '$' + '{datasource}' };
const NS = 'namespace=~"$namespace"';

/** A time-series panel: `targets` are [legend, PromQL] pairs. */
function timeseries(title, unit, targets, description) {
  return { type: 'timeseries', title, description, unit, targets };
}

function stat(title, unit, targets, description) {
  return { type: 'stat', title, description, unit, targets };
}

const serverRows = [
  {
    title: 'RPCs (frontend)',
    panels: [
      timeseries('Requests per second by method', 'reqps', [
        ['{{role}} {{method}}', `sum by (role, method) (rate(rpc_requests_total[${RATE}]))`],
      ]),
      timeseries(
        'Errors per second by method and code',
        'reqps',
        [
          [
            '{{role}} {{method}} {{code}}',
            `sum by (role, method, code) (rate(rpc_requests_total{code!="OK"}[${RATE}]))`,
          ],
        ],
        'Calls that did not end OK. NOT_FOUND or ALREADY_EXISTS are answers to the caller; INTERNAL, UNAVAILABLE and UNKNOWN are failures.',
      ),
      timeseries(
        'Latency p99 by method',
        's',
        [
          [
            '{{role}} {{method}}',
            `histogram_quantile(0.99, sum by (le, role, method) (rate(rpc_latency_seconds_bucket[${RATE}])))`,
          ],
        ],
        'Long polls (Poll*, history waits) sit near their 60 s limit by design.',
      ),
      timeseries('Latency p50 by method', 's', [
        [
          '{{role}} {{method}}',
          `histogram_quantile(0.5, sum by (le, role, method) (rate(rpc_latency_seconds_bucket[${RATE}])))`,
        ],
      ]),
    ],
  },
  {
    title: 'Workflows',
    panels: [
      timeseries('Started per second', 'ops', [
        [
          '{{namespace}} {{workflow_type}}',
          `sum by (namespace, workflow_type) (rate(workflow_started_total{${NS}}[${RATE}]))`,
        ],
      ]),
      timeseries('Closed per second by status', 'ops', [
        [
          '{{namespace}} {{status}}',
          `sum by (namespace, status) (rate(workflow_closed_total{${NS}}[${RATE}]))`,
        ],
      ]),
      timeseries('Run duration (start to close)', 's', [
        [
          'p50 {{workflow_type}}',
          `histogram_quantile(0.5, sum by (le, workflow_type) (rate(workflow_duration_seconds_bucket{${NS}}[${RATE}])))`,
        ],
        [
          'p95 {{workflow_type}}',
          `histogram_quantile(0.95, sum by (le, workflow_type) (rate(workflow_duration_seconds_bucket{${NS}}[${RATE}])))`,
        ],
      ]),
      timeseries(
        'Full-history workflow tasks (replays) per second',
        'ops',
        [['{{workflow_type}}', `sum by (workflow_type) (rate(workflow_replay_count{${NS}}[${RATE}]))`]],
        'Workflow tasks that carried the whole history: a worker without the run in its cache replays it.',
      ),
    ],
  },
  {
    title: 'History shards',
    panels: [
      timeseries('Shards owned per history host', 'short', [
        ['{{host}}', 'sum by (host) (history_shard_ownership)'],
      ]),
      stat(
        'Shards without an owner',
        'short',
        [
          [
            'unowned',
            'count((max by (shard_id) (max_over_time(history_shard_ownership[1h])) == 1) unless on (shard_id) (max by (shard_id) (history_shard_ownership) == 1)) or vector(0)',
          ],
        ],
        'Shards some host held in the last hour that none holds now (alert OdinHistoryShardUnowned).',
      ),
      timeseries(
        'Shard movements (acquired or released) per 5 minutes',
        'short',
        [['{{host}}', 'sum by (host) (changes(history_shard_ownership[5m]))']],
        'Movements follow membership changes: a host joining, leaving or missing its heartbeats.',
      ),
    ],
  },
  {
    title: 'Task queues (matching)',
    panels: [
      timeseries(
        'Schedule-to-start latency p95',
        's',
        [
          [
            '{{task_type}} {{queue_name}}',
            `histogram_quantile(0.95, sum by (le, task_type, queue_name) (rate(task_queue_latency_seconds_bucket[${RATE}])))`,
          ],
        ],
        'Time from a task being added to a poll taking it. All sticky queues show as __sticky__.',
      ),
      timeseries('Backlog (tasks waiting for a poller)', 'short', [
        ['{{task_type}}', 'sum by (task_type) (matching_backlog_tasks)'],
      ]),
      timeseries('Pollers waiting', 'short', [
        ['{{task_type}}', 'sum by (task_type) (matching_pollers_waiting)'],
      ]),
      timeseries(
        'Tasks added per second by delivery',
        'ops',
        [
          [
            '{{task_type}} {{delivery}}',
            `sum by (task_type, delivery) (rate(matching_tasks_added_total[${RATE}]))`,
          ],
        ],
        'sync: handed to a waiting poll; backlog: written to the database first.',
      ),
    ],
  },
  {
    title: 'Persistence',
    panels: [
      timeseries('Latency by operation', 's', [
        [
          'p99 {{operation}}',
          `histogram_quantile(0.99, sum by (le, operation) (rate(persistence_latency_seconds_bucket[${RATE}])))`,
        ],
        [
          'p50 {{operation}}',
          `histogram_quantile(0.5, sum by (le, operation) (rate(persistence_latency_seconds_bucket[${RATE}])))`,
        ],
      ]),
      timeseries('Errors per second by operation and code', 'ops', [
        ['{{operation}} {{code}}', `sum by (operation, code) (rate(persistence_errors_total[${RATE}]))`],
      ]),
      timeseries('Calls per second by operation', 'ops', [
        ['{{operation}}', `sum by (operation) (rate(persistence_latency_seconds_count[${RATE}]))`],
      ]),
      timeseries(
        'Group commits: wait in the queue',
        's',
        [
          [
            'p99',
            `histogram_quantile(0.99, sum by (le) (rate(persistence_commit_queue_seconds_bucket[${RATE}])))`,
          ],
          [
            'mean',
            `sum(rate(persistence_commit_queue_seconds_sum[${RATE}])) / sum(rate(persistence_commit_queue_seconds_count[${RATE}]))`,
          ],
        ],
        "How long a transition waited for its group commit's transaction to start (the commit's own time is commit_shard_batch above).",
      ),
      timeseries('Group commits: transitions per commit', 'short', [
        [
          'mean',
          `sum(rate(persistence_commit_transitions_sum[${RATE}])) / sum(rate(persistence_commit_transitions_count[${RATE}]))`,
        ],
        [
          'p99',
          `histogram_quantile(0.99, sum by (le) (rate(persistence_commit_transitions_bucket[${RATE}])))`,
        ],
      ]),
    ],
  },
];

const runtimeRows = [
  {
    title: 'Node.js event loop',
    panels: [
      timeseries(
        'Event-loop lag',
        's',
        [
          ['p99 {{role}} {{pod}}', 'max by (role, pod) (nodejs_eventloop_lag_p99_seconds)'],
          ['mean {{role}} {{pod}}', 'max by (role, pod) (nodejs_eventloop_lag_mean_seconds)'],
        ],
        'How late timers fire: a busy or blocked event loop delays every call on the process.',
      ),
      timeseries('CPU (cores)', 'short', [
        ['{{role}} {{pod}}', `sum by (role, pod) (rate(process_cpu_seconds_total[${RATE}]))`],
      ]),
    ],
  },
  {
    title: 'Memory and GC',
    panels: [
      timeseries('Heap used and total', 'bytes', [
        ['used {{role}} {{pod}}', 'sum by (role, pod) (nodejs_heap_size_used_bytes)'],
        ['total {{role}} {{pod}}', 'sum by (role, pod) (nodejs_heap_size_total_bytes)'],
      ]),
      timeseries('Resident memory', 'bytes', [
        ['{{role}} {{pod}}', 'sum by (role, pod) (process_resident_memory_bytes)'],
      ]),
      timeseries(
        'GC time per second by kind',
        's',
        [
          [
            '{{role}} {{pod}} {{kind}}',
            `sum by (role, pod, kind) (rate(nodejs_gc_duration_seconds_sum[${RATE}]))`,
          ],
        ],
        'Fraction of each second spent in garbage collection (major, minor, incremental, weakcb).',
      ),
      timeseries('Open file descriptors', 'short', [
        ['{{role}} {{pod}}', 'sum by (role, pod) (process_open_fds)'],
      ]),
    ],
  },
];

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

function panelJson(panel, id, gridPos) {
  const base = {
    id,
    type: panel.type,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
    targets: panel.targets.map(([legendFormat, expr], index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr,
      legendFormat,
    })),
  };
  if (panel.type === 'stat')
    return { ...base, options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value' } };
  return {
    ...base,
    options: { legend: { displayMode: 'table', placement: 'right' }, tooltip: { mode: 'multi' } },
  };
}

function dashboard({ uid, title, description, rows, namespaceVariable }) {
  const panels = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    row.panels.forEach((panel, index) => {
      const x = (index % 2) * PANEL_WIDTH;
      if (index > 0 && index % 2 === 0) y += PANEL_HEIGHT;
      panels.push(panelJson(panel, id++, { h: PANEL_HEIGHT, w: PANEL_WIDTH, x, y }));
    });
    y += PANEL_HEIGHT;
  }
  const variables = [
    {
      name: 'datasource',
      label: 'Prometheus',
      type: 'datasource',
      query: 'prometheus',
      current: {},
      hide: 0,
    },
  ];
  if (namespaceVariable) {
    variables.push({
      name: 'namespace',
      label: 'Namespace',
      type: 'query',
      datasource: DATASOURCE,
      definition: 'label_values(workflow_started_total, namespace)',
      query: { query: 'label_values(workflow_started_total, namespace)', refId: 'namespace' },
      includeAll: true,
      allValue: '.*',
      multi: true,
      current: {},
      refresh: 2,
      hide: 0,
    });
  }
  return {
    uid,
    title,
    description,
    tags: ['odin'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-3h', to: 'now' },
    timezone: 'browser',
    templating: { list: variables },
    annotations: { list: [] },
    panels,
  };
}

/** The dashboards by file name. */
export function dashboards() {
  return {
    'odin-server.json': dashboard({
      uid: 'odin-server',
      title: 'Odin / Server',
      description: 'RPCs, workflows, history shards, task queues and persistence of an Odin cluster.',
      rows: serverRows,
      namespaceVariable: true,
    }),
    'odin-runtime.json': dashboard({
      uid: 'odin-runtime',
      title: 'Odin / Node.js runtime',
      description: 'Event loop, CPU, memory and garbage collection of every Odin process.',
      rows: runtimeRows,
      namespaceVariable: false,
    }),
  };
}

export function dashboardText(json) {
  return `${JSON.stringify(json, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, json] of Object.entries(dashboards())) {
    writeFileSync(new URL(name, import.meta.url), dashboardText(json));
    console.log(`wrote deploy/grafana/${name}`);
  }
}
