import { type RawBuilder, sql } from 'kysely';
import { toBytes } from '../codec.js';
import type { StoreContext } from '../stores/context.js';
import type { BlobCodec } from './blob-codec.js';
import { type DataKey, seal, sealedKeyVersion } from './envelope.js';

/** A table with a sealed blob column, and the columns that page through one namespace's rows in key order. */
interface BlobColumn {
  readonly table: string;
  readonly column: string;
  /** The primary key without namespace_id (filtered on), in the order rows are paged. */
  readonly key: readonly string[];
}

/** Every blob that encryption at rest seals (encrypted-store.ts). */
export const SEALED_BLOB_COLUMNS: readonly BlobColumn[] = [
  { table: 'history_events', column: 'data', key: ['workflow_id', 'run_id', 'event_id'] },
  { table: 'workflow_executions', column: 'state', key: ['workflow_id', 'run_id'] },
  { table: 'visibility_records', column: 'memo', key: ['run_id'] },
  { table: 'transfer_tasks', column: 'data', key: ['shard_id', 'task_id'] },
  { table: 'visibility_tasks', column: 'data', key: ['shard_id', 'task_id'] },
  { table: 'timer_tasks', column: 'data', key: ['shard_id', 'fire_time', 'task_id'] },
  {
    table: 'matching_tasks',
    column: 'data',
    key: ['range_hash', 'task_queue_name', 'task_queue_type', 'task_id'],
  },
  { table: 'schedules', column: 'schedule', key: ['schedule_id'] },
  { table: 'schedules', column: 'memo', key: ['schedule_id'] },
  { table: 'batch_operations', column: 'request', key: ['job_id'] },
];

export interface ReencryptReport {
  /** Per table: rows rewritten under the current key, and rows that changed or went away meanwhile (left alone). */
  readonly tables: Record<string, { rewritten: number; skipped: number }>;
  readonly rewritten: number;
}

const refs = (columns: readonly string[]): RawBuilder<unknown> => sql.join(columns.map((c) => sql.ref(c)));

/**
 * Rewrites every blob of the namespace that is not sealed by `current` (plaintext from before encryption, or an
 * older data-key version) under it, in key order, `batchSize` rows per read. Each row is updated only if its blob is
 * still the one read (compare-and-set on the bytes), so a concurrent write by a running server always wins and
 * nothing is lost; such rows are counted as skipped (a running server writes with the current key anyway once it
 * has seen the rotation).
 */
export async function reencryptNamespace(
  ctx: StoreContext,
  codec: BlobCodec,
  current: DataKey,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 500;
  const namespaceId = current.namespaceId;
  const tables: Record<string, { rewritten: number; skipped: number }> = {};
  let total = 0;
  for (const spec of SEALED_BLOB_COLUMNS) {
    tables[spec.table] ??= { rewritten: 0, skipped: 0 };
    const counts = tables[spec.table]!;
    let after: unknown[] | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const keyCondition = after ? sql`AND (${refs(spec.key)}) > (${sql.join(after)})` : sql``;
      const { rows } = await sql<Record<string, unknown>>`
        SELECT ${refs(spec.key)}, ${sql.ref(spec.column)} AS sealed_blob FROM ${sql.table(spec.table)}
        WHERE namespace_id = ${namespaceId} ${keyCondition}
        ORDER BY ${refs(spec.key)} LIMIT ${batchSize}`.execute(ctx.db);
      for (const row of rows) {
        if (row.sealed_blob == null) continue;
        const stored = toBytes(row.sealed_blob);
        if (sealedKeyVersion(stored) === current.version) continue;
        const what = `${spec.table}.${spec.column} of namespace ${namespaceId}`;
        const resealed = seal(await codec.open(namespaceId, stored, what), current);
        const matches = spec.key.map((c) => sql`${sql.ref(c)} = ${row[c]}`);
        const result = await sql`
          UPDATE ${sql.table(spec.table)} SET ${sql.ref(spec.column)} = ${Buffer.from(resealed)}
          WHERE namespace_id = ${namespaceId} AND ${sql.join(matches, sql` AND `)}
            AND ${sql.ref(spec.column)} = ${Buffer.from(stored)}`.execute(ctx.db);
        if (Number(result.numAffectedRows ?? 0n) === 1) counts.rewritten++;
        else counts.skipped++;
      }
      if (rows.length < batchSize) break;
      const last = rows[rows.length - 1]!;
      after = spec.key.map((c) => last[c]);
    }
    total += counts.rewritten;
  }
  return { tables, rewritten: total };
}
