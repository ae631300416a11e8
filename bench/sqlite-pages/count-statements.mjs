// Loaded into the Odin server process with `--import` by bench/sqlite-pages/run.ts (never by the server itself):
// counts the SQLite statements the server executes, by verb and table (and the rows each kind of write changed,
// under `<kind> rows`), and writes the counts as JSON to
// ODIN_STATEMENT_COUNTS_FILE whenever the process receives SIGUSR2 (the driver reads them before and after its
// measured phase). Wraps better-sqlite3's Statement methods and Database#exec; nothing else changes.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../..', import.meta.url).pathname;
const Database = createRequire(`${root}packages/persistence/package.json`)('better-sqlite3');
const counts = new Map();

/** `insert history_events`, `select visibility_records`, `begin`, … : the verb and the first table it names. */
function kindOf(sql) {
  const text = sql.replace(/\s+/g, ' ').trim().toLowerCase();
  const verb = /^(\w+)/.exec(text)?.[1] ?? '?';
  if (verb === 'begin' || verb === 'commit' || verb === 'rollback' || verb === 'pragma')
    return text.slice(0, 40);
  const table =
    verb === 'insert' || verb === 'replace'
      ? /into "?(\w+)/.exec(text)?.[1]
      : verb === 'update'
        ? /^update "?(\w+)/.exec(text)?.[1]
        : /from "?(\w+)/.exec(text)?.[1];
  return `${verb} ${table ?? '?'}`;
}

function count(sql) {
  const kind = kindOf(sql);
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return kind;
}

const prepare = Database.prototype.prepare;
let patched = false;
Database.prototype.prepare = function (...args) {
  const statement = prepare.apply(this, args);
  if (!patched) {
    patched = true;
    const proto = Object.getPrototypeOf(statement);
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = proto[method];
      proto[method] = function (...params) {
        const kind = count(this.source);
        const result = original.apply(this, params);
        if (method === 'run') counts.set(`${kind} rows`, (counts.get(`${kind} rows`) ?? 0) + result.changes);
        return result;
      };
    }
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function (sql) {
  count(sql);
  return exec.call(this, sql);
};

process.on('SIGUSR2', () => {
  const file = process.env.ODIN_STATEMENT_COUNTS_FILE;
  if (file) writeFileSync(file, JSON.stringify(Object.fromEntries(counts)));
});
