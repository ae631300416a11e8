import { toBuffer, toBytes, toNumber } from '../codec.js';
import type { NamespaceDataKeysTable } from '../tables.js';
import type { StoreContext } from './context.js';

/** A stored data-key version (wrapped). */
export interface WrappedDataKey {
  namespaceId: string;
  version: number;
  kekId: string;
  wrapped: Uint8Array;
  createdAt: number;
}

function fromRow(row: NamespaceDataKeysTable): WrappedDataKey {
  return {
    namespaceId: row.namespace_id,
    version: toNumber(row.version),
    kekId: row.kek_id,
    wrapped: toBytes(row.wrapped_key),
    createdAt: toNumber(row.created_at),
  };
}

/** The namespace_data_keys table: every version of every namespace's wrapped data key. */
export class SqlDataKeyStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The newest version of the namespace's key (null when it has none yet). */
  async latest(namespaceId: string): Promise<WrappedDataKey | null> {
    const row = await this.ctx.db
      .selectFrom('namespace_data_keys')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async get(namespaceId: string, version: number): Promise<WrappedDataKey | null> {
    const row = await this.ctx.db
      .selectFrom('namespace_data_keys')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Every stored version, by namespace and version. */
  async list(): Promise<WrappedDataKey[]> {
    const rows = await this.ctx.db
      .selectFrom('namespace_data_keys')
      .selectAll()
      .orderBy('namespace_id')
      .orderBy('version')
      .execute();
    return rows.map(fromRow);
  }

  /** Inserts the version unless it exists (another process made it first); whether this call did. */
  insert(key: WrappedDataKey): Promise<boolean> {
    return this.ctx.dialect.insertIfAbsent(
      this.ctx.db.insertInto('namespace_data_keys').values({
        namespace_id: key.namespaceId,
        version: key.version,
        kek_id: key.kekId,
        wrapped_key: toBuffer(key.wrapped),
        created_at: key.createdAt,
      }),
      ['namespace_id', 'version'],
    );
  }

  /** Replaces the wrapping of one version if it is still wrapped by `fromKekId`; whether it was. */
  async rewrap(
    key: Pick<WrappedDataKey, 'namespaceId' | 'version'>,
    fromKekId: string,
    to: { kekId: string; wrapped: Uint8Array },
  ): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable('namespace_data_keys')
      .set({ kek_id: to.kekId, wrapped_key: toBuffer(to.wrapped) })
      .where('namespace_id', '=', key.namespaceId)
      .where('version', '=', key.version)
      .where('kek_id', '=', fromKekId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
