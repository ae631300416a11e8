// One transaction in one round trip on PostgreSQL (two where its last statements depend on what it read).
// node-postgres sends a statement, waits for its answer, then sends the next, so a group commit of ten statements
// (BEGIN, the fence, the CAS updates, the appends, COMMIT) was ten socket writes and reads on each side; on a history
// host of the split cluster `writev` alone was a fifth of the profile's busy samples. The extended query protocol
// lets a client write many statements before one Sync and read their answers in order, and node-postgres accepts a
// custom query object ("submittable", the hook pg-cursor uses), which is how a transaction's statements go out in
// one write here.
import { createRequire } from 'node:module';
import { CompiledQuery, type QueryResult } from 'kysely';
import type { CheckedStatement, TransactionPipeline } from '../sql-dialect.js';
import pg from 'pg';
import { unavailableOrSame } from '../driver-errors.js';
import { statementName } from './prepared.js';

// node-postgres's own conversion of a parameter to its wire text (arrays, dates, buffers), as its Query uses it.
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => unknown;
};

interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Named (prepared once per connection) or unnamed. */
  readonly name: string | undefined;
}

// The parts of node-postgres's Connection that its own Query drives; @types/pg does not declare them.
interface WireConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: {
    portal: string;
    statement: string;
    values: readonly unknown[];
    valueMapper: (value: unknown) => unknown;
  }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  sync(): void;
}

interface FieldMessage {
  fields: unknown[];
}

/** pg's Result: row parsing with the pool's type parsers. */
interface PgResult {
  command: string | null;
  rowCount: number | null;
  rows: unknown[];
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
  addCommandComplete(message: unknown): void;
}

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Statements written together, ending in one Sync. node-postgres hands it the backend's messages in order; the
 * first error ends it (the backend skips everything else up to the Sync).
 */
class PipelinedStatements {
  readonly done: Promise<QueryResult<unknown>[]>;
  #resolve!: (results: QueryResult<unknown>[]) => void;
  #reject!: (error: unknown) => void;
  readonly #results: PgResult[];
  #current = 0;
  #settled = false;

  constructor(
    private readonly statements: readonly Statement[],
    types: pg.CustomTypesConfig,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const Result = (pg as unknown as { Result: new (rowMode: undefined, types: unknown) => PgResult }).Result;
    this.#results = statements.map(() => new Result(undefined, types));
  }

  submit(connection: WireConnection): null {
    connection.stream.cork?.();
    try {
      for (const s of this.statements) {
        const name = s.name ?? '';
        if (
          name === '' ||
          (connection.parsedStatements[name] === undefined &&
            connection.submittedNamedStatements[name] === undefined)
        ) {
          connection.parse({ text: s.text, name, types: [] });
          if (name !== '') connection.submittedNamedStatements[name] = s.text;
        }
        connection.bind({ portal: '', statement: name, values: s.values, valueMapper: prepareValue });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: FieldMessage): void {
    this.#results[this.#current]?.addFields(message.fields);
  }

  handleDataRow(message: FieldMessage): void {
    const result = this.#results[this.#current];
    result?.addRow(result.parseRow(message.fields));
  }

  handleCommandComplete(message: unknown): void {
    this.#results[this.#current]?.addCommandComplete(message);
    this.#current++;
  }

  handleEmptyQuery(): void {
    this.#current++;
  }

  handlePortalSuspended(): void {
    this.handleError(new Error('a pipelined statement was suspended (it asked for a row limit)'));
  }

  handleCopyInResponse(): void {
    this.handleError(new Error('a pipelined statement asked for COPY'));
  }

  handleCopyData(): void {}

  handleError(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }

  handleReadyForQuery(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(
      this.#results.map((r) => ({
        rows: r.rows ?? [],
        ...(r.command !== null && AFFECTING.has(r.command) && r.rowCount !== null
          ? { numAffectedRows: BigInt(r.rowCount) }
          : {}),
      })),
    );
  }
}

const BEGIN: Statement = { text: 'BEGIN', values: [], name: undefined };
const COMMIT: Statement = { text: 'COMMIT', values: [], name: undefined };

/** A statement as the pipeline sends it: named like the pool's other statements when prepared ones are on. */
function toStatement(query: CompiledQuery, prepared: boolean, maxPreparedLength: number): Statement {
  const named = prepared && query.parameters.length > 0 && query.sql.length <= maxPreparedLength;
  return { text: query.sql, values: query.parameters, name: named ? statementName(query.sql) : undefined };
}

const SELECT = /^\s*select\b/i;
const RETURNING = /\breturning\b/i;

/**
 * The statement as one that fails unless it changed (a SELECT: returned) exactly `rows` rows. A wrong count divides
 * by zero, which aborts the transaction as any failed statement does, so the COMMIT written after it never needs the
 * client to look at the count first. The CASE depends on the count, so PostgreSQL cannot fold it at plan time.
 */
function expectingRows(query: CompiledQuery, rows: number): CompiledQuery {
  const count = `$${query.parameters.length + 1}`;
  const check = `SELECT 1 / (CASE WHEN count(*) = ${count} THEN 1 ELSE 0 END) AS row_count_holds FROM`;
  if (SELECT.test(query.sql))
    return CompiledQuery.raw(`${check} (${query.sql}) AS counted`, [...query.parameters, rows]);
  // A bug, not bad input: a statement that returns rows already cannot be counted this way.
  if (RETURNING.test(query.sql)) throw new Error(`a counted statement returns rows already: ${query.sql}`);
  return CompiledQuery.raw(`WITH changed AS (${query.sql} RETURNING 1) ${check} changed`, [
    ...query.parameters,
    rows,
  ]);
}

export interface PipelineOptions {
  /** Named prepared statements, as the pool's other statements (see prepared.ts). */
  readonly prepared: boolean;
  readonly maxPreparedLength: number;
  /** The pool's type parsers, so rows read the same as through Kysely. */
  readonly types: pg.CustomTypesConfig;
  /** The dialect's test for a dead connection: those errors throw as DatabaseUnavailableError against `url`. */
  readonly isConnectionFailure: (error: unknown) => boolean;
  readonly url: string;
}

export function transactionPipeline(pool: pg.Pool, options: PipelineOptions): TransactionPipeline {
  const plain = (query: CompiledQuery): Statement =>
    toStatement(query, options.prepared, options.maxPreparedLength);
  const checked = ({ query, expectRows }: CheckedStatement): Statement =>
    plain(expectRows === undefined ? query : expectingRows(query, expectRows));
  const send = (client: pg.PoolClient, statements: Statement[]) => {
    const step = new PipelinedStatements(statements, options.types);
    client.query(step as unknown as pg.QueryConfig);
    return step.done;
  };
  /**
   * Runs `transaction` on a client of the pool. A failed statement resolves to null (the backend rolled back), a
   * dead connection throws DatabaseUnavailableError. Any error leaves the connection where its prepared statements
   * are unknown (a Parse skipped after the failing statement) and its transaction aborted: it is closed rather than
   * reused.
   */
  const withClient = async <T>(
    transaction: (client: pg.PoolClient) => Promise<T | null>,
  ): Promise<T | null> => {
    const client = await pool.connect().catch((error: unknown) => {
      throw unavailableOrSame(error, options.url, options.isConnectionFailure);
    });
    let reusable = false;
    try {
      const value = await transaction(client);
      reusable = true;
      return value;
    } catch (error) {
      if (options.isConnectionFailure(error))
        throw unavailableOrSame(error, options.url, options.isConnectionFailure);
      // A statement failed: the backend rolled the transaction back (the COMMIT after it was skipped).
      if (error instanceof pg.DatabaseError) return null;
      throw error;
    } finally {
      client.release(!reusable);
    }
  };
  return {
    async commitInOneWrite(statements) {
      const committed = await withClient(async (client) => {
        await send(client, [BEGIN, ...statements.map(checked), COMMIT]);
        return true;
      });
      return committed === true;
    },
    run(first, decide) {
      return withClient(async (client) => {
        const firstResults = await send(client, [BEGIN, ...first.map(checked)]);
        const decision = decide(firstResults.slice(1));
        if (decision === null) {
          await client.query('ROLLBACK');
          return null;
        }
        await send(client, [...decision.statements.map(plain), COMMIT]);
        return decision.value;
      });
    },
  };
}
