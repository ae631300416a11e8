import { parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked against the API schemas, not types.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  [key: string]: any;
}

/** Every object of a multi-document YAML stream (empty documents skipped). */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]?.message}`);
    const value = document.toJS() as KubeObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** The npm module holding the model classes of an apiVersion: core, built-in groups, and the CRDs the chart uses. */
function modelModule(apiVersion: string): string {
  if (!apiVersion.includes('/')) return `kubernetes-models/${apiVersion}`;
  const [group] = apiVersion.split('/');
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  if (group === 'cert-manager.io') return `@kubernetes-models/cert-manager/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * Validates an object against the OpenAPI schema of its kind (the pinned kubernetes-models packages: the Kubernetes
 * API's own schemas, and the Prometheus Operator's and cert-manager's CRD schemas). Throws naming the object.
 */
export async function validateObject(object: KubeObject): Promise<void> {
  const where = `${object.kind}/${object.metadata?.name}`;
  let models: Record<string, unknown>;
  try {
    models = (await import(modelModule(object.apiVersion))) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${where}: no schema for apiVersion ${object.apiVersion} (${String(error)})`);
  }
  const Model = models[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) throw new Error(`${where}: ${object.apiVersion} has no kind ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(
      `${where} does not match the ${object.apiVersion} ${object.kind} schema: ${String(error)}`,
    );
  }
}

export async function validateAll(objects: readonly KubeObject[]): Promise<void> {
  for (const object of objects) await validateObject(object);
}
