import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadConfig } from '@odin/runtime';
import { parse } from 'yaml';
import { type KubeObject, parseManifests, validateAll } from './k8s-schema.js';
import { kubernetesTools, repoRoot, run } from './tools.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped JSON, checked by value here.
type Json = any;

const CHART = 'helm/odin';
/** The values files CI renders; each is a supported way to install. */
const VALUES_FILES = ['minimal', 'external-postgres', 'production-mtls'] as const;
const ROLES = ['frontend', 'history', 'matching', 'worker'] as const;

let helm: string;
const rendered = new Map<string, KubeObject[]>();

function render(valuesFile: string, ...extra: string[]): KubeObject[] {
  const text = run(helm, [
    'template',
    'odin',
    CHART,
    '--namespace',
    'odin',
    '-f',
    join(CHART, 'ci', `${valuesFile}-values.yaml`),
    ...extra,
  ]);
  return parseManifests(text);
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name} is rendered`);
  return found;
}
function container(deployment: KubeObject): Json {
  return deployment.spec.template.spec.containers[0];
}
function env(deployment: KubeObject): Map<string, Json> {
  return new Map(container(deployment).env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));
}

describe('Helm chart helm/odin', () => {
  before(() => {
    helm = kubernetesTools().helm;
    for (const file of VALUES_FILES) rendered.set(file, render(file));
  });

  for (const file of VALUES_FILES) {
    test(`helm lint passes with ci/${file}-values.yaml`, () => {
      const output = run(helm, ['lint', CHART, '-f', join(CHART, 'ci', `${file}-values.yaml`)]);
      assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(output, /\[(WARNING|ERROR)\]/);
    });

    test(`every object rendered with ci/${file}-values.yaml matches its Kubernetes API schema`, async () => {
      const objects = rendered.get(file) ?? [];
      assert.ok(objects.length >= 10, `rendered ${objects.length} objects`);
      await validateAll(objects);
    });
  }

  test('one Deployment per role, each running `server start --service <role>` with probes on its own port', () => {
    const objects = rendered.get('minimal') ?? [];
    const grpcPort = { frontend: 7233, history: 7234, matching: 7235 } as const;
    for (const role of ROLES) {
      const deployment = find(objects, 'Deployment', `odin-${role}`);
      const main = container(deployment);
      assert.deepEqual(main.args, ['server', 'start', '--service', role]);
      assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/component'], role);
      assert.ok(main.resources.requests, `${role} has resource requests`);
      assert.ok(deployment.spec.template.spec.affinity.podAntiAffinity, `${role} spreads over nodes`);
      assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
      const vars = env(deployment);
      assert.deepEqual(vars.get('HUGO_ORCHESTRATOR_DB_CONNECTION'), {
        secretKeyRef: { name: 'odin-database', key: 'connection-url' },
      });
      assert.deepEqual(vars.get('HUGO_ORCHESTRATOR_BROADCAST_ADDRESS'), {
        fieldRef: { fieldPath: 'status.podIP' },
      });
      assert.equal(vars.get('HUGO_ORCHESTRATOR_METRICS_PORT'), '9090');
      if (role === 'worker') {
        assert.deepEqual(main.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
        assert.deepEqual(main.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
      } else {
        for (const probe of ['startupProbe', 'readinessProbe']) {
          assert.deepEqual(main[probe].grpc, { port: grpcPort[role] }, `${role} ${probe}`);
        }
        // Not gRPC health: it turns NOT_SERVING while the pod drains, and a draining pod is alive.
        assert.deepEqual(main.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
      }
    }
  });

  test('services: frontend gRPC for clients, headless history and matching, metrics; HTTP and UI off by default', () => {
    const objects = rendered.get('minimal') ?? [];
    const frontend = find(objects, 'Service', 'odin-frontend');
    assert.deepEqual(
      frontend.spec.ports.map((p: Json) => [p.name, p.port]),
      [['grpc', 7233]],
    );
    for (const [role, port] of [
      ['history', 7234],
      ['matching', 7235],
    ] as const) {
      const service = find(objects, 'Service', `odin-${role}-headless`);
      assert.equal(service.spec.clusterIP, 'None');
      assert.equal(service.spec.ports[0].port, port);
    }
    assert.equal(find(objects, 'Service', 'odin-metrics').spec.ports[0].port, 9090);
    const production = rendered.get('production-mtls') ?? [];
    assert.deepEqual(container(find(production, 'Deployment', 'odin-frontend')).args, [
      'server',
      'start',
      '--service',
      'frontend',
      '--ui',
    ]);
    const exposed = find(production, 'Service', 'odin-frontend');
    assert.deepEqual(
      exposed.spec.ports.map((p: Json) => [p.name, p.port]),
      [
        ['grpc', 7233],
        ['http', 7243],
        ['ui', 8233],
      ],
    );
  });

  test('the schema migration is a pre-install/pre-upgrade Job reading the database Secret created before it', () => {
    const objects = rendered.get('minimal') ?? [];
    const job = find(objects, 'Job', 'odin-migrate-1');
    assert.equal(job.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['db', 'migrate']);
    const secret = find(objects, 'Secret', 'odin-database');
    assert.equal(secret.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.ok(
      Number(secret.metadata.annotations?.['helm.sh/hook-weight']) <
        Number(job.metadata.annotations?.['helm.sh/hook-weight']),
      'the Secret exists before the Job runs',
    );
    const external = rendered.get('external-postgres') ?? [];
    assert.ok(!external.some((o) => o.kind === 'Secret'), 'an existing Secret is used, none created');
    assert.deepEqual(
      external.find((o) => o.kind === 'Job')?.spec.template.spec.containers[0].env[0].valueFrom,
      { secretKeyRef: { name: 'odin-database', key: 'url' } },
    );
  });

  test('NOTES.txt renders with the client address and, under mTLS, the client flags', () => {
    const output = run(helm, [
      'install',
      'odin',
      CHART,
      '--namespace',
      'odin',
      '--dry-run=client',
      '-f',
      join(CHART, 'ci', 'production-mtls-values.yaml'),
    ]);
    const notes = output.slice(output.indexOf('NOTES:'));
    assert.match(notes, /odin-frontend\.odin\.svc:7233 \(TLS, client certificate required\)/);
    assert.match(
      notes,
      /--tls-ca ca\.crt --tls-server-name odin-frontend --tls-cert client\.crt --tls-key client\.key/,
    );
  });

  test('without a database the chart refuses to render', () => {
    assert.throws(
      () => run(helm, ['template', 'odin', CHART]),
      /database.url or database.existingSecret is required/,
    );
  });

  test('values.schema.json rejects a misspelt value and a wrong type', () => {
    assert.throws(
      () => render('minimal', '--set', 'frontend.replicas=3'),
      /additional properties|additionalProperties|replicas/i,
    );
    assert.throws(() => render('minimal', '--set', 'config.logLevel=verbose'), /logLevel|enum|verbose/);
  });

  test('production: mTLS material mounted and named by TLS variables, probes leave the TLS ports alone', () => {
    const objects = rendered.get('production-mtls') ?? [];
    const certificate = find(objects, 'Certificate', 'odin-frontend');
    assert.ok(certificate.spec.dnsNames.includes('odin.example.com'));
    const internal = find(objects, 'Certificate', 'odin-internal');
    assert.ok(internal.spec.usages.includes('client auth'));
    // Peers dial each other by pod IP and check this name instead; the certificate must carry it.
    assert.ok(internal.spec.dnsNames.includes('odin-internal'));
    for (const role of ROLES) {
      const deployment = find(objects, 'Deployment', `odin-${role}`);
      const vars = env(deployment);
      assert.equal(vars.get('HUGO_ORCHESTRATOR_TLS_CERT'), '/etc/odin/tls/frontend/tls.crt');
      assert.equal(vars.get('HUGO_ORCHESTRATOR_TLS_CLIENT_CA'), '/etc/odin/tls/frontend/ca.crt');
      assert.equal(vars.get('HUGO_ORCHESTRATOR_INTERNAL_TLS_CERT'), '/etc/odin/tls/internal/tls.crt');
      assert.equal(vars.get('HUGO_ORCHESTRATOR_INTERNAL_TLS_CA'), '/etc/odin/tls/internal/ca.crt');
      assert.equal(vars.get('HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME'), 'odin-internal');
      const secrets = deployment.spec.template.spec.volumes
        .map((v: Json) => v.secret?.secretName)
        .filter(Boolean);
      assert.deepEqual(secrets.sort(), ['odin-frontend-tls', 'odin-internal-tls']);
      // Kubelet's gRPC probes speak plaintext only.
      assert.equal(container(deployment).readinessProbe.grpc, undefined, `${role} is not probed over gRPC`);
      assert.equal(container(deployment).readinessProbe.httpGet.path, '/readyz');
      assert.equal(deployment.spec.template.spec.affinity.podAntiAffinity !== undefined, true);
    }
    // Autoscaled Deployments leave replicas to their HPA.
    assert.equal(find(objects, 'Deployment', 'odin-frontend').spec.replicas, undefined);
    assert.equal(find(objects, 'HorizontalPodAutoscaler', 'odin-frontend').spec.maxReplicas, 12);
    assert.equal(find(objects, 'HorizontalPodAutoscaler', 'odin-matching').spec.maxReplicas, 8);
    assert.equal(find(objects, 'PodDisruptionBudget', 'odin-history').spec.minAvailable, 3);
    const required = find(objects, 'Deployment', 'odin-history').spec.template.spec.affinity.podAntiAffinity;
    assert.ok(required.requiredDuringSchedulingIgnoredDuringExecution);
  });

  test('production: the TLS variables every pod gets are a configuration the server accepts', () => {
    const objects = rendered.get('production-mtls') ?? [];
    for (const role of ROLES) {
      const literal: Record<string, string> = {};
      for (const [name, value] of env(find(objects, 'Deployment', `odin-${role}`))) {
        if (typeof value === 'string') literal[name] = value;
      }
      const config = loadConfig(literal);
      assert.equal(config.tlsClientCa, '/etc/odin/tls/frontend/ca.crt', role);
      assert.equal(config.internalTlsServerName, 'odin-internal', role);
    }
  });

  test('encryption at rest: the key-encryption key Secret is mounted read-only and named by the server', () => {
    for (const deployment of (rendered.get('minimal') ?? []).filter((o) => o.kind === 'Deployment')) {
      assert.equal(env(deployment).get('HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE'), undefined, 'off by default');
    }
    const objects = render('minimal', '--set', 'encryption.existingSecret=odin-kek');
    for (const role of ROLES) {
      const deployment = find(objects, 'Deployment', `odin-${role}`);
      const vars = env(deployment);
      assert.equal(vars.get('HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE'), '/etc/odin/encryption/kek');
      const volume = deployment.spec.template.spec.volumes.find((v: Json) => v.name === 'encryption-key');
      assert.equal(volume.secret.secretName, 'odin-kek');
      assert.equal(volume.secret.defaultMode, 0o400);
      const mount = container(deployment).volumeMounts.find((m: Json) => m.name === 'encryption-key');
      assert.deepEqual([mount.mountPath, mount.readOnly], ['/etc/odin/encryption', true]);
      const literal: Record<string, string> = {};
      for (const [name, value] of vars) if (typeof value === 'string') literal[name] = value;
      const config = loadConfig(literal);
      assert.equal(config.encryptionKeyFile, '/etc/odin/encryption/kek', role);
      assert.equal(config.encryptionKeyRefreshIntervalMs, 60_000, role);
    }
    assert.throws(
      () =>
        render('minimal', '--set', 'encryption.existingSecret=k', '--set', 'encryption.refreshInterval=soon'),
      /refreshInterval|pattern/,
    );
  });

  test('the PrometheusRule carries deploy/prometheus/odin-alerts.yaml with runbook links rebased', () => {
    const canonical = readFileSync(join(repoRoot, 'deploy/prometheus/odin-alerts.yaml'), 'utf8');
    const copy = readFileSync(join(repoRoot, CHART, 'files/odin-alerts.yaml'), 'utf8');
    assert.equal(
      copy,
      canonical,
      'helm/odin/files/odin-alerts.yaml is a copy of deploy/prometheus/odin-alerts.yaml',
    );
    const rule = find(rendered.get('production-mtls') ?? [], 'PrometheusRule', 'odin');
    const groups = (parse(canonical) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups;
    const alerts = groups.flatMap((g) => g.rules);
    const renderedRules = rule.spec.groups.flatMap((g: Json) => g.rules);
    assert.deepEqual(
      renderedRules.map((r: Json) => [r.alert, r.expr]),
      alerts.map((r) => [r.alert, r.expr]),
    );
    for (const r of renderedRules) {
      assert.match(r.annotations.runbook_url, /^https:\/\/odin\.example\.com\/docs\/operations\.md#odin/);
    }
    const monitor = find(rendered.get('production-mtls') ?? [], 'ServiceMonitor', 'odin');
    assert.equal(monitor.spec.endpoints[0].port, 'metrics');
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
  });
});
