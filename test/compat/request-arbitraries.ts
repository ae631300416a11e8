// fast-check arbitraries of Temporal request messages, built from the pinned proto root: any message type becomes a
// generator of plain objects (what protobufjs's fromObject takes) whose fields carry the values that break servers:
// empty, huge and odd strings, int64 extremes, unknown enum numbers, NaN, deep JSON in payload data, nested messages
// cut off at a depth. Plus byte-level mutations of encoded requests, for the decoder.
import fc from 'fast-check';

/** The parts of protobufjs's reflection objects used here (test/compat does not depend on protobufjs itself). */
export interface ProtoType {
  readonly fullName: string;
  readonly fieldsArray: readonly ProtoField[];
}
interface ProtoEnum {
  readonly values: Readonly<Record<string, number>>;
}
interface ProtoField {
  readonly name: string;
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType?: string;
  readonly resolvedType: ProtoType | ProtoEnum | null;
  resolve(): unknown;
}

function isEnum(value: ProtoType | ProtoEnum): value is ProtoEnum {
  return !('fieldsArray' in value);
}

/** Strings a client could send by mistake or on purpose; the huge ones are built once, not per run. */
const HUGE = 'n'.repeat(200_000);
const LONG_ID = 'w'.repeat(1_001);
const DEEP_JSON = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;

export interface ArbitraryOptions {
  /** Realistic values mixed into string fields (namespaces, workflow ids, task queues the test knows). */
  readonly names: readonly string[];
  /** Nested messages deeper than this are left out. */
  readonly maxDepth: number;
}

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '../../etc/passwd',
      "'; DROP TABLE executions; --",
      'CRON_TZ=Nowhere/Atlantis 0 0 * * *',
      '0 0 30 2 *',
      '@every 1ms',
      '* * * * * * *',
      HUGE,
      LONG_ID,
      DEEP_JSON,
      '\uD800',
    ),
  },
);

const bytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 32 }),
  fc.constantFrom(
    Buffer.from('null'),
    Buffer.from('"x"'),
    Buffer.from(DEEP_JSON),
    Buffer.from('{"a":'),
    Buffer.from('json/plain'),
    Buffer.alloc(70_000, 0x61),
  ),
);

const int32 = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 1_000_000_000, 2_000_000_000),
);
const uint32 = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1));
const int64 = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    '0',
    '-1',
    '9223372036854775807',
    '-9223372036854775808',
    String(Number.MAX_SAFE_INTEGER + 2),
    '315576000001',
  ),
);
const uint64 = fc.oneof(fc.nat(), fc.constantFrom('0', '18446744073709551615'));
const double = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308),
);

function scalar(type: string): fc.Arbitrary<unknown> | undefined {
  switch (type) {
    case 'string':
      return text;
    case 'bytes':
      return bytes;
    case 'bool':
      return fc.boolean();
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return int32;
    case 'uint32':
    case 'fixed32':
      return uint32;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return int64;
    case 'uint64':
    case 'fixed64':
      return uint64;
    case 'double':
    case 'float':
      return double;
    default:
      return undefined;
  }
}

/** Builds (and caches per type and depth) message arbitraries over one proto root. */
export class RequestArbitraries {
  readonly #cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
  readonly #string: fc.Arbitrary<string>;

  constructor(readonly options: ArbitraryOptions) {
    this.#string = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...options.names) },
      { weight: 2, arbitrary: text },
    );
  }

  /** Plain objects of `type`: every field optional, each with an adversarial value of its type. */
  message(type: ProtoType, depth = 0): fc.Arbitrary<Record<string, unknown>> {
    const key = `${type.fullName}@${depth}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of type.fieldsArray) {
      const value = this.#field(field, depth);
      if (value) fields[field.name] = value;
    }
    const arbitrary = fc.record(fields, { requiredKeys: [] });
    this.#cache.set(key, arbitrary);
    return arbitrary;
  }

  /**
   * `template` with one to three of its type's top-level fields replaced by adversarial values: a valid request
   * gone wrong in one place gets past the checks a random one fails first.
   */
  mutated(type: ProtoType, template: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
    const fields = type.fieldsArray
      .map((field) => [field.name, this.#field(field, 1)] as const)
      .filter((entry): entry is readonly [string, fc.Arbitrary<unknown>] => entry[1] !== undefined);
    const change = fc.oneof(
      ...fields.map(([name, value]) => value.map((v) => [name, v] as const)),
      fc.constantFrom(...fields.map(([name]) => [name, undefined] as const)),
    );
    return fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => {
      const out: Record<string, unknown> = { ...template };
      for (const [name, value] of changes) {
        if (value === undefined) delete out[name];
        else out[name] = value;
      }
      return out;
    });
  }

  #field(field: ProtoField, depth: number): fc.Arbitrary<unknown> | undefined {
    field.resolve();
    const single = this.#value(field, depth);
    if (!single) return undefined;
    if (field.map) {
      const key = field.keyType === 'string' ? this.#string : scalar(field.keyType ?? '');
      if (!key) return undefined;
      return fc.dictionary(
        key.map((k) => String(k)),
        single,
        { maxKeys: 3 },
      );
    }
    if (field.repeated) return fc.array(single, { maxLength: 3 });
    return single;
  }

  #value(field: ProtoField, depth: number): fc.Arbitrary<unknown> | undefined {
    const resolved = field.resolvedType;
    if (resolved && isEnum(resolved)) {
      // Known values mostly, and numbers no enum defines.
      return fc.oneof(fc.constantFrom(...Object.values(resolved.values)), fc.integer({ min: -3, max: 500 }));
    }
    if (resolved) {
      if (depth >= this.options.maxDepth) return undefined;
      return this.message(resolved, depth + 1);
    }
    if (field.type === 'string') return this.#string;
    return scalar(field.type);
  }
}

/** Byte-level damage to an encoded message: flips, truncations, insertions, varint overflows, junk. */
export function mutatedBytes(encoded: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const damage = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), junk: fc.uint8Array({ maxLength: 12 }) }),
    fc.record({ kind: fc.constant('overflow' as const), at: fc.nat() }),
  );
  return fc.tuple(encoded, fc.array(damage, { minLength: 1, maxLength: 4 })).map(([original, steps]) => {
    let out = Buffer.from(original);
    for (const step of steps) {
      const at = out.length === 0 ? 0 : step.at % (out.length + 1);
      switch (step.kind) {
        case 'flip':
          if (out.length > 0) out[at % out.length]! ^= 1 << step.bit;
          break;
        case 'truncate':
          out = out.subarray(0, at);
          break;
        case 'insert':
          out = Buffer.concat([out.subarray(0, at), step.junk, out.subarray(at)]);
          break;
        case 'overflow':
          // A length or varint that never ends, or claims more than the message holds.
          out = Buffer.concat([out.subarray(0, at), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]);
          break;
      }
    }
    return new Uint8Array(out);
  });
}
