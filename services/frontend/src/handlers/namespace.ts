import { durationToMs, msToDuration, ServiceError } from '@odin/api';
import {
  DEV_SERVER_SEARCH_ATTRIBUTES,
  NamespaceAlreadyExistsError,
  type NamespaceRecord,
  type NamespaceStore,
  type SearchAttributeStore,
} from '@odin/persistence';
import type { FrontendDeps, HandlerMap, Req } from '../handler-types.js';
import { decodeNamespaceData, encodeNamespaceData, mergeNamespaceData } from '../namespace-data.js';
import { NamespaceState } from '../namespaces.js';
import * as v from '../validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CLUSTER_NAME = 'active';
/** Temporal's own namespace, which no call may delete. */
const SYSTEM_NAMESPACE = 'temporal-system';
const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Temporal's namespace description for a stored namespace. Of the namespace capabilities only what works is on:
 * the update ones (UpdateWorkflowExecution waiting for COMPLETED, and for ACCEPTED) and
 * `workerPollCompleteOnShutdown` (ShutdownWorker answers the worker's waiting polls, so sdk-core lets them finish
 * instead of cutting them and losing a task matched at that moment). The others stay off (ref §3.2), so sdk-core
 * skips worker heartbeats and the worker-commands poller.
 */
export function describeNamespace(record: NamespaceRecord) {
  return {
    namespaceInfo: {
      name: record.name,
      id: record.id,
      state: record.state,
      description: record.description,
      ownerEmail: record.ownerEmail,
      data: decodeNamespaceData(record.data),
      capabilities: { syncUpdate: true, asyncUpdate: true, workerPollCompleteOnShutdown: true },
    },
    config: {
      workflowExecutionRetentionTtl: msToDuration(record.retentionMs),
      historyArchivalState: 1, // ARCHIVAL_STATE_DISABLED
      visibilityArchivalState: 1,
    },
    replicationConfig: {
      activeClusterName: CLUSTER_NAME,
      clusters: [{ clusterName: CLUSTER_NAME }],
      state: 1,
    },
    isGlobalNamespace: false,
    failoverVersion: 0,
    failoverHistory: [],
  };
}

function validateName(name: string | null | undefined): string {
  const value = v.requireNamespace(name);
  if (!NAMESPACE_NAME.test(value)) {
    throw ServiceError.invalidArgument(
      `Namespace "${value}" is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit.`,
    );
  }
  return value;
}

/**
 * Creates a namespace if it does not exist yet (dev server start-up: `default` and every `--namespace`).
 * Returns the stored record either way.
 */
export async function ensureNamespace(
  store: NamespaceStore,
  input: {
    id: string;
    name: string;
    retentionMs: number;
    now: number;
    description?: string;
    /**
     * When given, the namespace gets the custom search attributes Temporal's development server registers
     * (CustomKeywordField, CustomIntField, …; names it has already are kept), as SDK samples and tests expect.
     */
    searchAttributes?: SearchAttributeStore;
  },
): Promise<NamespaceRecord> {
  const record = await ensureNamespaceRecord(store, input);
  if (input.searchAttributes) {
    const defaults = Object.entries(DEV_SERVER_SEARCH_ATTRIBUTES).map(([name, type]) => ({ name, type }));
    await input.searchAttributes.addSearchAttributes(record.id, defaults, input.now);
  }
  return record;
}

async function ensureNamespaceRecord(
  store: NamespaceStore,
  input: { id: string; name: string; retentionMs: number; now: number; description?: string },
): Promise<NamespaceRecord> {
  const existing = await store.getNamespaceByName(input.name);
  if (existing) return existing;
  try {
    return await store.createNamespace({
      id: input.id,
      name: input.name,
      state: NamespaceState.REGISTERED,
      description: input.description ?? '',
      ownerEmail: '',
      retentionMs: input.retentionMs,
      data: null,
      createdAt: input.now,
      updatedAt: input.now,
    });
  } catch (error) {
    // Another process created it between our read and write: theirs is as good as ours.
    if (error instanceof NamespaceAlreadyExistsError) {
      const raced = await store.getNamespaceByName(input.name);
      if (raced) return raced;
    }
    throw error;
  }
}

export function namespaceHandlers(deps: FrontendDeps): HandlerMap {
  const { ctx, namespaces } = deps;
  const store = ctx.store.namespaces;
  const defaultRetentionMs = ctx.config.historyRetentionDays * DAY_MS;

  return {
    async RegisterNamespace(req: Req<'RegisterNamespaceRequest'>) {
      const name = validateName(req.namespace);
      v.nonNegativeDuration(req.workflowExecutionRetentionPeriod, 'WorkflowExecutionRetentionPeriod');
      v.maxLength(req.description, 1000, 'Description');
      v.maxLength(req.ownerEmail, 1000, 'OwnerEmail');
      if (req.isGlobalNamespace) {
        throw ServiceError.invalidArgument(
          'Global namespaces need multi-cluster replication, which Odin does not run.',
        );
      }
      const now = ctx.clock.now();
      const retentionMs = durationToMs(req.workflowExecutionRetentionPeriod) || defaultRetentionMs;
      await store.createNamespace({
        id: ctx.random.uuid(),
        name,
        state: NamespaceState.REGISTERED,
        description: req.description ?? '',
        ownerEmail: req.ownerEmail ?? '',
        retentionMs,
        data: encodeNamespaceData(req.data ?? {}),
        createdAt: now,
        updatedAt: now,
      });
      namespaces.invalidate({ name });
      return {};
    },

    async DescribeNamespace(req: Req<'DescribeNamespaceRequest'>) {
      if (req.id) return describeNamespace(await namespaces.recordById(req.id));
      if (!req.namespace) throw ServiceError.invalidArgument('Namespace or Id must be set on the request.');
      return describeNamespace(await namespaces.record(req.namespace));
    },

    async ListNamespaces(req: Req<'ListNamespacesRequest'>) {
      v.pageSize(req.pageSize);
      const pageToken = req.nextPageToken?.length
        ? Buffer.from(req.nextPageToken).toString('utf8')
        : undefined;
      const page = await store.listNamespaces({
        pageSize: req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, 1000) : 100,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      const deleted = req.namespaceFilter?.includeDeleted === true;
      return {
        namespaces: page.items
          .filter((r) => deleted || r.state !== NamespaceState.DELETED)
          .map(describeNamespace),
        nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0),
      };
    },

    async UpdateNamespace(req: Req<'UpdateNamespaceRequest'>) {
      const name = v.requireNamespace(req.namespace);
      v.nonNegativeDuration(
        req.config?.workflowExecutionRetentionTtl,
        'Config.WorkflowExecutionRetentionTtl',
      );
      v.maxLength(req.updateInfo?.description, 1000, 'UpdateInfo.Description');
      v.maxLength(req.updateInfo?.ownerEmail, 1000, 'UpdateInfo.OwnerEmail');
      if (req.promoteNamespace)
        throw ServiceError.invalidArgument('Namespace promotion needs multi-cluster setup.');
      const current = await store.getNamespaceByName(name);
      if (!current || current.state === NamespaceState.DELETED) throw ServiceError.namespaceNotFound(name);
      const retentionMs = durationToMs(req.config?.workflowExecutionRetentionTtl);
      const updated = await store.updateNamespace(
        {
          id: current.id,
          name: current.name,
          state: current.state,
          description: req.updateInfo?.description || current.description,
          ownerEmail: req.updateInfo?.ownerEmail || current.ownerEmail,
          retentionMs: retentionMs && retentionMs > 0 ? retentionMs : current.retentionMs,
          data: encodeNamespaceData(
            mergeNamespaceData(decodeNamespaceData(current.data), req.updateInfo?.data),
          ),
          updatedAt: ctx.clock.now(),
        },
        current.version,
      );
      namespaces.invalidate(updated);
      const described = describeNamespace(updated);
      return {
        namespaceInfo: described.namespaceInfo,
        config: described.config,
        replicationConfig: described.replicationConfig,
        failoverVersion: 0,
        isGlobalNamespace: false,
      };
    },

    /** The namespace keeps serving its runs, but refuses new starts (Temporal's DEPRECATED state). */
    async DeprecateNamespace(req: Req<'DeprecateNamespaceRequest'>) {
      const name = v.requireNamespace(req.namespace);
      const current = await store.getNamespaceByName(name);
      if (!current || current.state === NamespaceState.DELETED) throw ServiceError.namespaceNotFound(name);
      if (current.state !== NamespaceState.DEPRECATED) {
        const updated = await store.updateNamespace(
          { ...current, state: NamespaceState.DEPRECATED, updatedAt: ctx.clock.now() },
          current.version,
        );
        namespaces.invalidate(updated);
      }
      return {};
    },
  };
}

/**
 * OperatorService DeleteNamespace, as Temporal does it: the namespace is marked DELETED and renamed
 * `<name>-deleted-<first 5 characters of its id>`, so the name is free for a new namespace at once, and every call
 * naming it answers NOT_FOUND. The retention worker then deletes all of its closed runs at its next sweep.
 */
export async function deleteNamespace(
  deps: FrontendDeps,
  req: { namespace?: string | null; namespaceId?: string | null },
): Promise<{ deletedNamespace: string }> {
  const { ctx, namespaces } = deps;
  const store = ctx.store.namespaces;
  if (req.namespace && req.namespaceId) {
    throw ServiceError.invalidArgument('Only one of namespace name or id should be set on request.');
  }
  const current = req.namespaceId
    ? await store.getNamespaceById(req.namespaceId)
    : await store.getNamespaceByName(v.requireNamespace(req.namespace));
  const label = req.namespaceId || req.namespace || '';
  if (!current || current.state === NamespaceState.DELETED) throw ServiceError.namespaceNotFound(label);
  if (current.name === SYSTEM_NAMESPACE)
    throw ServiceError.invalidArgument('Unable to delete system namespace.');
  const deletedName = `${current.name}-deleted-${current.id.slice(0, 5)}`;
  const updated = await store.updateNamespace(
    { ...current, name: deletedName, state: NamespaceState.DELETED, updatedAt: ctx.clock.now() },
    current.version,
  );
  namespaces.invalidate({ id: current.id, name: current.name });
  namespaces.invalidate(updated);
  return { deletedNamespace: deletedName };
}
