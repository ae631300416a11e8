import { hostname } from 'node:os';

/**
 * The worker's identity from its deployment context: cluster, region and pod when the environment names them
 * (HUGO_ORCHESTRATOR_CLUSTER / HUGO_ORCHESTRATOR_REGION / POD_NAME, or CLUSTER_NAME / REGION / HOSTNAME under
 * Kubernetes), then pid@host — e.g. "prod/eu-west-1/orders-worker-7d9f/4711@node-3".
 */
export function defaultWorkerIdentity(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
  host = hostname(),
): string {
  const cluster = env['HUGO_ORCHESTRATOR_CLUSTER'] ?? env['CLUSTER_NAME'];
  const region = env['HUGO_ORCHESTRATOR_REGION'] ?? env['REGION'] ?? env['AWS_REGION'];
  const pod = env['POD_NAME'] ?? (env['KUBERNETES_SERVICE_HOST'] ? env['HOSTNAME'] : undefined);
  const parts = [cluster, region, pod].filter((p): p is string => typeof p === 'string' && p !== '');
  return [...parts, `${pid}@${host}`].join('/');
}
