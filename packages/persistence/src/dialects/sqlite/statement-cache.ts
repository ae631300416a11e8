import type BetterSqlite3 from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/**
 * How many prepared statements the connection keeps. A group commit's many-row UPDATEs, outbox deletes and visibility
 * reads are a statement per row count (its INSERTs run row by row, one statement each: row-by-row.ts): a SQLite file
 * served ~480 distinct statements in a bench run of the official SDK (`bench/workloads/run.ts`, small and varied
 * batches) when the INSERTs were VALUES lists too, more than the 256 this cache once held.
 */
export const STATEMENT_CACHE_SIZE = 1024;

/**
 * The prepared statements of the single better-sqlite3 connection, least recently used dropped first: preparing is
 * SQLite's costly step, and the store issues the same shapes over and over. With first-in-first-out eviction the
 * hottest statements (BEGIN, the fence read) were dropped and prepared again whenever enough new shapes came by.
 */
export class StatementCache {
  readonly #statements: LRUCache<string, BetterSqlite3.Statement>;

  constructor(
    private readonly db: { prepare(text: string): BetterSqlite3.Statement },
    max = STATEMENT_CACHE_SIZE,
  ) {
    this.#statements = new LRUCache({ max });
  }

  prepare(text: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(text);
    if (stmt === undefined) {
      stmt = this.db.prepare(text);
      this.#statements.set(text, stmt);
    }
    return stmt;
  }
}
