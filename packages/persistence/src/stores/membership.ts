import type { MembershipRecord, MembershipStore } from '../contract.js';
import { toNumber } from '../codec.js';
import type { StoreContext } from './context.js';

export class SqlMembershipStore implements MembershipStore {
  constructor(private readonly ctx: StoreContext) {}

  async upsertMember(record: MembershipRecord): Promise<void> {
    const row = {
      host_id: record.hostId,
      role: record.role,
      rpc_address: record.rpcAddress,
      session_start: record.sessionStart,
      last_heartbeat: record.lastHeartbeat,
      record_expiry: record.recordExpiry,
    };
    const { host_id: _, ...update } = row;
    const insert = this.ctx.db.insertInto('cluster_membership').values(row);
    await this.ctx.dialect.upsert(insert, ['host_id'], update).execute();
  }

  async listMembers(input: { role?: string; activeSince: number }): Promise<MembershipRecord[]> {
    let q = this.ctx.db
      .selectFrom('cluster_membership')
      .selectAll()
      .where('last_heartbeat', '>=', input.activeSince);
    if (input.role !== undefined) q = q.where('role', '=', input.role);
    const rows = await q.orderBy('host_id').execute();
    return rows.map((r) => ({
      hostId: r.host_id,
      role: r.role,
      rpcAddress: r.rpc_address,
      sessionStart: toNumber(r.session_start),
      lastHeartbeat: toNumber(r.last_heartbeat),
      recordExpiry: toNumber(r.record_expiry),
    }));
  }

  async pruneMembers(before: number): Promise<number> {
    const r = await this.ctx.db
      .deleteFrom('cluster_membership')
      .where('record_expiry', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
