import type { SearchAttributeDefinition, SearchAttributeStore, SearchAttributeType } from '../contract.js';
import { isSearchAttributeType } from '../visibility/definitions.js';
import { type StoreContext, inTransaction } from './context.js';

function definition(row: { name: string; type: string }): SearchAttributeDefinition | undefined {
  return isSearchAttributeType(row.type)
    ? { name: row.name, type: row.type as SearchAttributeType }
    : undefined;
}

export class SqlSearchAttributeStore implements SearchAttributeStore {
  constructor(private readonly ctx: StoreContext) {}

  async listSearchAttributes(namespaceId: string): Promise<SearchAttributeDefinition[]> {
    const rows = await this.ctx.db
      .selectFrom('search_attributes')
      .select(['name', 'type'])
      .where('namespace_id', '=', namespaceId)
      .orderBy('name')
      .execute();
    return rows.flatMap((r) => definition(r) ?? []);
  }

  async listAllSearchAttributes(): Promise<(SearchAttributeDefinition & { namespaceId: string })[]> {
    const rows = await this.ctx.db
      .selectFrom('search_attributes')
      .select(['namespace_id', 'name', 'type'])
      .orderBy('namespace_id')
      .orderBy('name')
      .execute();
    return rows.flatMap((r) => {
      const d = definition(r);
      return d ? [{ ...d, namespaceId: r.namespace_id }] : [];
    });
  }

  async addSearchAttributes(
    namespaceId: string,
    definitions: SearchAttributeDefinition[],
    now: number,
  ): Promise<void> {
    await inTransaction(this.ctx, async (trx) => {
      for (const d of definitions) {
        await this.ctx.dialect.insertIfAbsent(
          trx
            .insertInto('search_attributes')
            .values({ namespace_id: namespaceId, name: d.name, type: d.type, created_at: now }),
          ['namespace_id', 'name'],
        );
      }
    });
  }

  async removeSearchAttributes(namespaceId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.ctx.db
      .deleteFrom('search_attributes')
      .where('namespace_id', '=', namespaceId)
      .where('name', 'in', names)
      .execute();
  }
}
