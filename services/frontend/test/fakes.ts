import type { HistoryApi, MatchingApi } from '@odin/api';
import { SystemClock, VirtualClock } from '@odin/hugo';
import {
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  NamespaceVersionConflictError,
  type NamespaceRecord,
  type NamespaceStore,
  type PersistenceStore,
  type SearchAttributeDefinition,
  type SearchAttributeStore,
  type VisibilityAttribute,
  type VisibilityCondition,
  type VisibilityFilter,
  type VisibilityRecord,
} from '@odin/persistence';
import {
  createRuntimeContext,
  loadConfig,
  type RuntimeContext,
  SeededRandom,
  silentLogger,
} from '@odin/runtime';

/** Namespaces in a Map, counting reads so tests can see the cache at work. */
export class MemoryNamespaces implements NamespaceStore {
  readonly rows = new Map<string, NamespaceRecord>();
  reads = 0;

  async createNamespace(record: Omit<NamespaceRecord, 'version'>): Promise<NamespaceRecord> {
    if ([...this.rows.values()].some((r) => r.name === record.name || r.id === record.id)) {
      throw new NamespaceAlreadyExistsError(record.name);
    }
    const stored = { ...record, version: 1 };
    this.rows.set(record.id, stored);
    return stored;
  }

  async updateNamespace(
    record: Omit<NamespaceRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<NamespaceRecord> {
    const current = this.rows.get(record.id);
    if (!current) throw new NamespaceNotFoundError(record.id);
    if (current.version !== expectedVersion) {
      throw new NamespaceVersionConflictError(record.id, expectedVersion, current.version);
    }
    const stored = { ...current, ...record, version: current.version + 1 };
    this.rows.set(record.id, stored);
    return stored;
  }

  async getNamespaceByName(name: string): Promise<NamespaceRecord | null> {
    this.reads++;
    return [...this.rows.values()].find((r) => r.name === name) ?? null;
  }

  async getNamespaceById(id: string): Promise<NamespaceRecord | null> {
    this.reads++;
    return this.rows.get(id) ?? null;
  }

  async deleteNamespace(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async listNamespaces(page: { pageSize: number; pageToken?: string }) {
    const all = [...this.rows.values()].sort((a, b) => a.name.localeCompare(b.name));
    const start = page.pageToken ? Number(page.pageToken) : 0;
    const items = all.slice(start, start + page.pageSize);
    const next = start + page.pageSize;
    return next < all.length ? { items, nextPageToken: String(next) } : { items };
  }
}

export class MemoryVisibility {
  readonly rows: VisibilityRecord[] = [];
  lastFilter: VisibilityFilter | undefined;

  matches(record: VisibilityRecord, filter: VisibilityFilter): boolean {
    return (
      (filter.workflowId === undefined || record.workflowId === filter.workflowId) &&
      (filter.workflowType === undefined || record.workflowType === filter.workflowType) &&
      (filter.status === undefined || record.status === filter.status) &&
      (filter.condition === undefined || this.holds(record, filter.condition))
    );
  }

  /** Enough of the condition language for the frontend's tests: =, !=, IN and the logic, on three columns. */
  holds(record: VisibilityRecord, c: VisibilityCondition): boolean {
    const column = (a: VisibilityAttribute): unknown => {
      if ('system' in a && a.system === 'WorkflowId') return record.workflowId;
      if ('system' in a && a.system === 'WorkflowType') return record.workflowType;
      if ('system' in a && a.system === 'ExecutionStatus') return record.status;
      throw new Error(`the fake does not filter on ${JSON.stringify(a)}`);
    };
    switch (c.op) {
      case 'and':
        return c.operands.every((o) => this.holds(record, o));
      case 'or':
        return c.operands.some((o) => this.holds(record, o));
      case 'not':
        return !this.holds(record, c.operand);
      case '=':
        return column(c.attribute) === c.value;
      case '!=':
        return column(c.attribute) !== c.value;
      case 'in':
        return c.values.includes(column(c.attribute) as never);
      default:
        throw new Error(`the fake does not evaluate ${c.op}`);
    }
  }

  async listVisibility(namespaceId: string, filter: VisibilityFilter, page: { pageSize: number }) {
    this.lastFilter = filter;
    const items = this.rows.filter((r) => r.namespaceId === namespaceId && this.matches(r, filter));
    return { items: items.slice(0, page.pageSize) };
  }

  async countVisibility(namespaceId: string, filter: VisibilityFilter): Promise<number> {
    this.lastFilter = filter;
    return this.rows.filter((r) => r.namespaceId === namespaceId && this.matches(r, filter)).length;
  }

  async countVisibilityByStatus(namespaceId: string, filter: VisibilityFilter) {
    const counts = new Map<number, number>();
    for (const r of this.rows) {
      if (r.namespaceId === namespaceId && this.matches(r, filter))
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => a - b).map(([status, count]) => ({ status, count }));
  }
}

export class MemorySearchAttributes implements SearchAttributeStore {
  readonly rows = new Map<string, Map<string, SearchAttributeDefinition>>();

  async listSearchAttributes(namespaceId: string) {
    return [...(this.rows.get(namespaceId)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  async listAllSearchAttributes() {
    return [...this.rows].flatMap(([namespaceId, m]) => [...m.values()].map((d) => ({ ...d, namespaceId })));
  }

  async addSearchAttributes(namespaceId: string, definitions: SearchAttributeDefinition[]) {
    const m = this.rows.get(namespaceId) ?? new Map();
    for (const d of definitions) if (!m.has(d.name)) m.set(d.name, d);
    this.rows.set(namespaceId, m);
  }

  async removeSearchAttributes(namespaceId: string, names: string[]) {
    for (const name of names) this.rows.get(namespaceId)?.delete(name);
  }
}

export interface Fixture {
  ctx: RuntimeContext<PersistenceStore>;
  clock: VirtualClock;
  namespaces: MemoryNamespaces;
  visibility: MemoryVisibility;
  searchAttributes: MemorySearchAttributes;
}

export async function fixture(
  options: { realTime?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<Fixture> {
  const clock = new VirtualClock();
  const namespaces = new MemoryNamespaces();
  const visibility = new MemoryVisibility();
  const searchAttributes = new MemorySearchAttributes();
  const store = {
    dialect: 'sqlite',
    namespaces,
    visibility,
    searchAttributes,
  } as unknown as PersistenceStore;
  const ctx = createRuntimeContext({
    store,
    clock: options.realTime ? new SystemClock() : clock,
    random: new SeededRandom(1),
    config: loadConfig(options.env ?? {}),
    logger: silentLogger(),
    hostId: 'test-host',
  });
  await namespaces.createNamespace({
    id: 'ns-default-id',
    name: 'default',
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs: 86_400_000,
    data: null,
    createdAt: 0,
    updatedAt: 0,
  });
  return { ctx, clock, namespaces, visibility, searchAttributes };
}

export type Call = { method: string; ns: { id: string; name: string }; req: unknown; deadline?: number };

/** A HistoryApi / MatchingApi whose every method records its call and answers `answer(method)`. */
export function recorder<T extends object>(
  calls: Call[],
  answer: (method: string, req: unknown) => unknown = () => ({}),
): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (typeof property !== 'string' || property === 'then' || property === 'recordsSdkMetadata')
        return undefined;
      return async (ns: { id: string; name: string }, req: unknown, ctx: { deadline?: number }) => {
        calls.push({
          method: property,
          ns,
          req,
          ...(ctx?.deadline === undefined ? {} : { deadline: ctx.deadline }),
        });
        return answer(property, req);
      };
    },
  });
}

export function fakeHistory(calls: Call[], answer?: (method: string, req: unknown) => unknown): HistoryApi {
  return recorder<HistoryApi>(calls, answer);
}

export function fakeMatching(calls: Call[], answer?: (method: string, req: unknown) => unknown): MatchingApi {
  return recorder<MatchingApi>(calls, answer);
}
