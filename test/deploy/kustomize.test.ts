import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type KubeObject, parseManifests, validateAll } from './k8s-schema.js';
import { kubernetesTools, run } from './tools.js';

const OVERLAYS = ['dev', 'production'] as const;
const ROLES = ['frontend', 'history', 'matching', 'worker'] as const;

describe('kustomize deploy/k8s', () => {
  const built = new Map<string, KubeObject[]>();
  before(() => {
    const { kubectl } = kubernetesTools();
    for (const overlay of OVERLAYS) {
      built.set(overlay, parseManifests(run(kubectl, ['kustomize', `deploy/k8s/overlays/${overlay}`])));
    }
  });

  for (const overlay of OVERLAYS) {
    test(`overlays/${overlay} builds, and every object matches its Kubernetes API schema`, async () => {
      const objects = built.get(overlay) ?? [];
      await validateAll(objects);
      for (const role of ROLES) {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `odin-${role}`);
        assert.ok(deployment, `odin-${role} is built`);
        assert.deepEqual(deployment.spec.template.spec.containers[0].args, [
          'server',
          'start',
          '--service',
          role,
        ]);
        assert.equal(deployment.metadata.namespace, overlay === 'dev' ? 'odin-dev' : 'odin');
      }
      assert.ok(objects.some((o) => o.kind === 'Job' && o.metadata.name === 'odin-migrate'));
    });
  }

  test('production: pinned image, autoscaled frontend and matching without a fixed replica count, no generated Secret', () => {
    const objects = built.get('production') ?? [];
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const deployment of deployments) {
      assert.equal(deployment.spec.template.spec.containers[0].image, 'registry.example.com/odin/odin:0.1.0');
    }
    for (const name of ['odin-frontend', 'odin-matching']) {
      assert.equal(deployments.find((d) => d.metadata.name === name)?.spec.replicas, undefined);
      assert.ok(objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name));
    }
    assert.equal(deployments.find((d) => d.metadata.name === 'odin-history')?.spec.replicas, 5);
    assert.ok(
      !objects.some((o) => o.kind === 'Secret'),
      'the database Secret is managed outside the repository',
    );
  });
});
