// UI locations. Ids go into the path percent-encoded and are read back from the raw location: the router decodes
// paths with decodeURI, which would turn an id containing `%` into something else.

const enc = encodeURIComponent;

export const nsPath = (namespace: string) => `/namespaces/${enc(namespace)}`;

export const workflowPath = (namespace: string, workflowId: string, runId?: string) =>
  `${nsPath(namespace)}/workflows/${enc(workflowId)}${runId ? `/${enc(runId)}` : ''}`;

export const taskQueuePath = (namespace: string, taskQueue: string) =>
  `${nsPath(namespace)}/task-queues/${enc(taskQueue)}`;

function decode(segment: string | undefined): string {
  if (segment === undefined) return '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The raw path's segments, each decoded once. */
export function pathSegments(): string[] {
  return window.location.pathname.split('/').filter(Boolean).map(decode);
}

/** The namespace a location is in (`default` outside a namespace). */
export function currentNamespace(location: string): string {
  const match = /^\/namespaces\/([^/]+)/.exec(location);
  return match ? decode(pathSegments()[1]) || 'default' : 'default';
}

export const schedulePath = (namespace: string, scheduleId: string) =>
  `${nsPath(namespace)}/schedules/${enc(scheduleId)}`;
