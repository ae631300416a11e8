import { temporal } from '@odin/api/public';
import type { DeterministicRecord, DeterministicStateStore } from '@odin/hugo';
import type { PayloadConverter } from '../common/payload.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import type { CommandBuffer } from './command-buffer.js';
import { recordMarkerCommand } from './command-builders.js';
import { markerKey } from './command-matching.js';
import { type EventEntries, noAction } from './event-table.js';

/** The marker names of side effects (`sideEffect`, `captureEffect`) and of `getVersion`/`versionGate`. */
export const EFFECT_MARKER = 'odin.effect';
export const VERSION_MARKER = 'odin.version';

const EventType = temporal.api.enums.v1.EventType;
const decoder = new TextDecoder();

/**
 * Side effects and versions, recorded as markers (RecordMarker commands, MarkerRecorded events). Every marker of
 * the history is known from the start, so a replay finds a record wherever the code asks for it; live effects are
 * tracked until they finish, since their outcome is recorded then.
 */
export class Markers {
  private effectSeq = 0;
  private readonly inHistory = new Map<string, DeterministicRecord>();
  private readonly recorded = new Map<string, DeterministicRecord>();
  /** Effects running outside the deterministic context; the activation is settled only once they finished. */
  readonly liveEffects = new Set<Promise<unknown>>();

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    history: readonly IHistoryEvent[],
  ) {
    for (const event of history) {
      const marker = event.markerRecordedEventAttributes;
      if (event.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED || !marker) continue;
      const record = marker.details?.['record']?.payloads?.[0];
      if (!record?.data) continue;
      this.inHistory.set(
        `${marker.markerName}|${markerKey(marker.details)}`,
        JSON.parse(decoder.decode(record.data)) as DeterministicRecord,
      );
    }
  }

  /**
   * The record of marker `key`: one this run recorded, or one history recorded at this point before (then the
   * same RecordMarker command is issued so replay matches it). Undefined when neither exists.
   */
  lookup(markerName: string, key: string): DeterministicRecord | undefined {
    const k = `${markerName}|${JSON.stringify(key)}`;
    const own = this.recorded.get(k);
    if (own) return own;
    const fromHistory = this.inHistory.get(k);
    if (fromHistory) this.record(markerName, key, fromHistory);
    return fromHistory;
  }

  /** Records marker `key` (a RecordMarker command carrying the key and the record). */
  record(markerName: string, key: string, record: DeterministicRecord): void {
    this.recorded.set(`${markerName}|${JSON.stringify(key)}`, record);
    this.commands.issue(recordMarkerCommand(this.converter, markerName, key, record));
  }

  has(markerName: string, key: string): boolean {
    const k = `${markerName}|${JSON.stringify(key)}`;
    return this.recorded.has(k) || this.inHistory.has(k);
  }

  /** A DeterministicStateStore (for Hugo's DeterministicEffectStore and VersionGate) over this run's markers. */
  store(markerName: string): DeterministicStateStore {
    return {
      get: async (key) => this.lookup(markerName, key),
      set: async (key, value) => this.record(markerName, key, value),
      tryAdd: async (key, value) => {
        if (this.has(markerName, key)) return false;
        this.record(markerName, key, value);
        return true;
      },
    };
  }

  nextEffectId(): string {
    return `side-effect-${++this.effectSeq}`;
  }

  /** Live effects must finish before the activation is considered settled. */
  trackEffect(promise: Promise<unknown>): void {
    this.liveEffects.add(promise);
    promise.then(
      () => this.liveEffects.delete(promise),
      () => this.liveEffects.delete(promise),
    );
  }

  eventEntries(): EventEntries<'markerRecordedEventAttributes'> {
    return {
      markerRecordedEventAttributes: noAction(
        'written by a RecordMarker command: matched, not applied; the run read every marker when it was built',
      ),
    };
  }
}
