/**
 * Deepest nesting of objects and arrays the server takes in JSON a client sent (HTTP API bodies, search-attribute
 * values) or turns into JSON for it (payloads shown in the HTTP API's shorthand). JSON.parse copes with any depth,
 * but every recursive walk after it (JSON.stringify, protobufjs's JSON mapping, the payload shorthand) overflows
 * the stack a few thousand levels down, which would turn a client's mistake into an internal error.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether JSON text nests objects and arrays deeper than `max`. A single pass over the characters that skips
 * string contents, so it never recurses itself and costs no parse; written here because the JSON parsers at hand
 * offer no depth limit. Text that is not valid JSON is not judged (the parser that follows reports it).
 */
export function jsonNestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
