import { createRequire } from 'node:module';
import type peggy from 'peggy';

// The List/Count filter language as a PEG grammar, compiled by peggy (once, on first use, ~30 ms). A grammar is
// used rather than a hand-written parser because it states the language in one place, in the form a reader checks
// against Temporal's, and peggy reports every syntax error with its position and the tokens it expected. A SQL
// parser library (node-sql-parser) was the other candidate: it cannot parse Temporal's STARTS_WITH operator, and
// it accepts the whole of SQL, all of which would then need refusing.
//
// The language is the WHERE clause Temporal's SQL visibility accepts (its parser is MySQL's dialect, extended with
// STARTS_WITH), then an optional GROUP BY; ORDER BY and LIMIT are parsed only to be refused with Temporal's
// message. Keywords are case-insensitive; strings are quoted with ' or " (a doubled quote or a backslash escape
// stands for the quote); names are plain identifiers or `back-quoted`. NOT NOT cancels out; AND binds tighter than
// OR. The grammar yields a plain tree (RawQuery) that visibility-query.ts resolves against the attributes.
/** A back-quote, which the grammar's template literal cannot hold as it is. */
const BT = '`';

const GRAMMAR = String.raw`
{{
  const ESCAPES = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };
  function listOf(type, head, tail) {
    return tail.length === 0 ? head : { type, items: [head, ...tail] };
  }
}}

Query
  = _ where:Expr? _ groupBy:GroupBy? _ orderBy:OrderBy? _ limit:Limit? _ !.
    { return { where, groupBy: groupBy ?? [], orderBy: orderBy !== null, limit: limit !== null }; }

GroupBy
  = GROUP __ BY _ head:Column tail:(_ "," _ c:Column { return c; })* { return [head, ...tail]; }

OrderBy
  = ORDER __ BY _ OrderItem (_ "," _ OrderItem)* { return true; }

OrderItem
  = Column (__ (ASC / DESC))?

Limit
  = LIMIT _ [0-9]+ (_ "," _ [0-9]+)? { return true; }

Expr
  = head:And tail:(_ OR _ a:And { return a; })* { return listOf('or', head, tail); }

And
  = head:Not tail:(_ AND _ n:Not { return n; })* { return listOf('and', head, tail); }

Not
  = nots:(NOT _)* p:Primary { return nots.length % 2 === 1 ? { type: 'not', item: p } : p; }

Primary
  = "(" _ e:Expr _ ")" { return e; }
  / Predicate

Predicate
  = col:Column _ tail:PredicateTail { return { ...tail, col }; }

PredicateTail
  = IS _ n:(NOT _)? NULL { return { type: 'is', negated: n !== null }; }
  / n:(NOT _)? IN _ "(" _ values:ValueList _ ")" { return { type: 'in', negated: n !== null, values }; }
  / n:(NOT _)? BETWEEN _ from:Value _ AND _ to:Value { return { type: 'between', negated: n !== null, from, to }; }
  / n:(NOT _)? STARTS_WITH _ value:Value { return { type: 'startsWith', negated: n !== null, value }; }
  / op:UnsupportedOperator _ Value? { return { type: 'unsupported', op }; }
  / op:Comparison _ value:Value { return { type: 'compare', op, value }; }

UnsupportedOperator
  = op:$(NOT _ (LIKE / REGEXP / RLIKE) / LIKE / REGEXP / RLIKE / "<=>" / SOUNDS __ LIKE) { return op.toLowerCase(); }

Comparison
  = "!=" / "<>" { return '!='; } / "<=" / ">=" / "=" / "<" / ">"

ValueList
  = head:Value tail:(_ "," _ v:Value { return v; })* { return [head, ...tail]; }

Value
  = String
  / Number
  / TRUE { return { kind: 'bool', value: true }; }
  / FALSE { return { kind: 'bool', value: false }; }
  / NULL { return { kind: 'null' }; }
  / c:Column { return { kind: 'column', name: c.name }; }

String
  = "'" chars:SingleQuoted* "'" { return { kind: 'string', value: chars.join('') }; }
  / '"' chars:DoubleQuoted* '"' { return { kind: 'string', value: chars.join('') }; }

SingleQuoted
  = "''" { return "'"; }
  / Escape
  / [^'\\]

DoubleQuoted
  = '""' { return '"'; }
  / Escape
  / [^"\\]

Escape
  = "\\" c:. { return ESCAPES[c] ?? c; }

Number
  = text:$([+-]? (Digits ("." Digits?)? / "." Digits) ([eE] [+-]? Digits)?) !IdentifierChar
    { return { kind: 'number', text }; }

Digits
  = [0-9]+

Column
  = "${BT}" name:$([^${BT}] / "${BT}${BT}")+ "${BT}"
    { return { name: name.replaceAll('${BT}${BT}', '${BT}'), at: location().start.offset }; }
  / !Keyword name:$([A-Za-z_] IdentifierChar*) { return { name, at: location().start.offset }; }

IdentifierChar
  = [A-Za-z0-9_]

Keyword
  = (AND / OR / NOT / IN / IS / NULL / BETWEEN / STARTS_WITH / LIKE / REGEXP / RLIKE / SOUNDS / ORDER / GROUP
    / BY / LIMIT / ASC / DESC / TRUE / FALSE)

AND = "and"i !IdentifierChar
OR = "or"i !IdentifierChar
NOT = "not"i !IdentifierChar
IN = "in"i !IdentifierChar
IS = "is"i !IdentifierChar
NULL = "null"i !IdentifierChar
BETWEEN = "between"i !IdentifierChar
STARTS_WITH = "starts_with"i !IdentifierChar
LIKE = "like"i !IdentifierChar
REGEXP = "regexp"i !IdentifierChar
RLIKE = "rlike"i !IdentifierChar
SOUNDS = "sounds"i !IdentifierChar
ORDER = "order"i !IdentifierChar
GROUP = "group"i !IdentifierChar
BY = "by"i !IdentifierChar
LIMIT = "limit"i !IdentifierChar
ASC = "asc"i !IdentifierChar
DESC = "desc"i !IdentifierChar
TRUE = "true"i !IdentifierChar
FALSE = "false"i !IdentifierChar

_ "whitespace"
  = [ \t\r\n]*

__ "whitespace"
  = [ \t\r\n]+
`;

export interface RawColumn {
  name: string;
  /** Offset in the query (0-based). */
  at: number;
}

export type RawValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'column'; name: string };

export type RawNode =
  | { type: 'or'; items: RawNode[] }
  | { type: 'and'; items: RawNode[] }
  | { type: 'not'; item: RawNode }
  | { type: 'compare'; col: RawColumn; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: RawValue }
  | { type: 'in'; col: RawColumn; negated: boolean; values: RawValue[] }
  | { type: 'between'; col: RawColumn; negated: boolean; from: RawValue; to: RawValue }
  | { type: 'startsWith'; col: RawColumn; negated: boolean; value: RawValue }
  | { type: 'is'; col: RawColumn; negated: boolean }
  | { type: 'unsupported'; col: RawColumn; op: string };

export interface RawQuery {
  where: RawNode | null;
  groupBy: RawColumn[];
  orderBy: boolean;
  limit: boolean;
}

/** A syntax error: where (0-based offset) and what the parser expected there. */
export interface QuerySyntaxError {
  offset: number;
  found: string | null;
  message: string;
}

let parser: peggy.Parser | undefined;

/**
 * peggy is required (it is CommonJS) with the first query, not imported with the module: the frontend is loaded
 * by every server start, and peggy's ~30 modules were start-up time for servers that may never get a List call.
 */
function generateParser(): peggy.Parser {
  const { generate } = createRequire(import.meta.url)('peggy') as typeof peggy;
  return generate(GRAMMAR);
}

/** Parses the query text into a RawQuery, or reports the first syntax error. */
export function parseQueryText(
  text: string,
): { ok: true; query: RawQuery } | { ok: false; error: QuerySyntaxError } {
  parser ??= generateParser();
  try {
    return { ok: true, query: parser.parse(text) as RawQuery };
  } catch (error) {
    const e = error as { location?: { start: { offset: number } }; found?: string | null; message: string };
    if (!e.location) throw error;
    return {
      ok: false,
      error: { offset: e.location.start.offset, found: e.found ?? null, message: e.message },
    };
  }
}
