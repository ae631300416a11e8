// The Temporal API definitions, loaded from the pinned @temporalio/proto package (never copied into this repo).
// The package is a CommonJS protobufjs reflection root whose names ESM cannot detect statically, hence require().
import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';

const require = createRequire(import.meta.url);
const root = require('@temporalio/proto') as typeof TemporalProto;

/** Runtime message classes (encode/decode/fromObject) of `temporal.api.*`. Types: `import type { temporal } from '@temporalio/proto'`. */
export const temporal: typeof TemporalProto.temporal = root.temporal;
export const google: typeof TemporalProto.google = root.google;
/** The protobufjs reflection root, for service descriptors and Any type lookups. */
export const protoRoot = root as unknown as import('protobufjs').Root;
