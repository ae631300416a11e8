import { durationToMs, temporal } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import { toProtoDuration } from '../common/duration.js';
import type { Connection } from './connection.js';
import { NamespaceNotFoundError, ServiceCallError } from './errors.js';

const enums = temporal.api.enums.v1;

export interface NamespaceDescription {
  name: string;
  id: string;
  /** REGISTERED, DEPRECATED, DELETED. */
  state: string;
  description: string;
  ownerEmail: string;
  /** Workflow execution retention in milliseconds. */
  retentionMs: number | undefined;
  data: Record<string, string>;
}

export interface NamespaceOptions {
  description?: string;
  ownerEmail?: string;
  /** How long closed workflows are kept, e.g. "3 days" or milliseconds; the server default when omitted. */
  retention?: number | string;
  data?: Record<string, string>;
}

function describeOf(response: proto.api.workflowservice.v1.IDescribeNamespaceResponse): NamespaceDescription {
  const info = response.namespaceInfo ?? {};
  return {
    name: info.name ?? '',
    id: info.id ?? '',
    state: (enums.NamespaceState[info.state ?? 0] ?? 'UNSPECIFIED').replace(/^NAMESPACE_STATE_/, ''),
    description: info.description ?? '',
    ownerEmail: info.ownerEmail ?? '',
    retentionMs: durationToMs(response.config?.workflowExecutionRetentionTtl),
    data: { ...(info.data ?? {}) },
  };
}

/** Registers, describes, lists and updates namespaces (what `hugo-orchestrator namespace …` needs). */
export class NamespaceClient {
  constructor(private readonly connection: Connection) {}

  async create(name: string, options: NamespaceOptions = {}, signal?: AbortSignal): Promise<void> {
    await this.connection.call(
      'registerNamespace',
      {
        namespace: name,
        description: options.description ?? '',
        ownerEmail: options.ownerEmail ?? '',
        workflowExecutionRetentionPeriod: toProtoDuration(options.retention) ?? null,
        data: options.data ?? {},
      },
      { namespace: name, ...(signal ? { signal } : {}) },
    );
  }

  async describe(name: string, signal?: AbortSignal): Promise<NamespaceDescription> {
    try {
      return describeOf(
        await this.connection.call(
          'describeNamespace',
          { namespace: name },
          { namespace: name, ...(signal ? { signal } : {}) },
        ),
      );
    } catch (error) {
      if (error instanceof ServiceCallError && error.codeName === 'NOT_FOUND') {
        throw new NamespaceNotFoundError(error.message, error.method, name);
      }
      throw error;
    }
  }

  async list(signal?: AbortSignal): Promise<NamespaceDescription[]> {
    const out: NamespaceDescription[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await this.connection.call(
        'listNamespaces',
        { pageSize: 100, nextPageToken: nextPageToken ?? null },
        signal ? { signal } : {},
      );
      out.push(...response.namespaces.map(describeOf));
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    } while (nextPageToken);
    return out;
  }

  async update(name: string, options: NamespaceOptions, signal?: AbortSignal): Promise<NamespaceDescription> {
    const response = await this.connection.call(
      'updateNamespace',
      {
        namespace: name,
        updateInfo: {
          description: options.description ?? null,
          ownerEmail: options.ownerEmail ?? null,
          data: options.data ?? {},
        },
        config:
          options.retention === undefined
            ? null
            : { workflowExecutionRetentionTtl: toProtoDuration(options.retention) ?? null },
      },
      { namespace: name, ...(signal ? { signal } : {}) },
    );
    return describeOf(response);
  }
}
