// A namespace's `data` (Temporal's NamespaceInfo.data, a string map) kept in the store's engine-owned `data` bytes as
// JSON. JSON.stringify/parse is enough for a flat string map; nothing else is stored in those bytes.

export type NamespaceData = Record<string, string>;

export function decodeNamespaceData(bytes: Uint8Array | null | undefined): NamespaceData {
  if (!bytes || bytes.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const data: NamespaceData = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') data[key] = value;
    return data;
  } catch {
    return {};
  }
}

export function encodeNamespaceData(data: NamespaceData): Uint8Array | null {
  return Object.keys(data).length === 0 ? null : Buffer.from(JSON.stringify(data), 'utf8');
}

/** Temporal's update rule: keys of the update are added or overwritten, keys it does not name are kept. */
export function mergeNamespaceData(
  current: NamespaceData,
  update: NamespaceData | null | undefined,
): NamespaceData {
  return { ...current, ...(update ?? {}) };
}
