// How a run reacts to each type of history event, as a table the compiler checks for completeness: an EventTable
// has an entry for every `…EventAttributes` field of Temporal's HistoryEvent, so a new event type in the pinned
// @temporalio/proto is a compile error until someone decides what it means here.
import { temporal } from '@odin/api/public';
import type { IHistoryEvent } from '../common/proto-types.js';

/** The names of HistoryEvent's attributes fields, one per event type (`timerFiredEventAttributes`, …). */
export type EventAttributesKey = Extract<keyof IHistoryEvent, `${string}EventAttributes`>;

export type EventAttributes<K extends EventAttributesKey> = NonNullable<IHistoryEvent[K]>;

/** Applies one event, given its attributes (an empty object when the event carries none). */
export type EventHandler<K extends EventAttributesKey> = (
  attributes: EventAttributes<K>,
  event: IHistoryEvent,
) => void;

/** An event that needs no action from the run, on purpose; `why` says why. */
export interface NoAction {
  readonly noAction: string;
}

/** An event of a feature this SDK does not implement: the workflow task fails, naming the event and the feature. */
export interface Unsupported {
  readonly unsupported: string;
}

export type EventEntry<K extends EventAttributesKey> = EventHandler<K> | NoAction | Unsupported;

/** What a family of the run (timers, activities, …) says about the event types it owns. */
export type EventEntries<K extends EventAttributesKey> = { readonly [P in K]: EventEntry<P> };

/** An entry for every event type. */
export type EventTable = EventEntries<EventAttributesKey>;

export function noAction(why: string): NoAction {
  return { noAction: why };
}

export function unsupported(feature: string): Unsupported {
  return { unsupported: feature };
}

/** The event a command of the run wrote: matched against the commands replay produces, never applied. */
export const recordedCommand: NoAction = noAction('written by a command of this run: matched, not applied');

const EventType = temporal.api.enums.v1.EventType;

/** EVENT_TYPE_TIMER_FIRED → timerFiredEventAttributes: the naming HistoryEvent's oneof follows for every type. */
const attributesKeys = new Map<number, string>(
  Object.entries(EventType).flatMap(([name, value]) =>
    typeof value === 'number' && value !== EventType.EVENT_TYPE_UNSPECIFIED
      ? [
          [
            value,
            `${name
              .replace(/^EVENT_TYPE_/, '')
              .toLowerCase()
              .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}EventAttributes`,
          ] as const,
        ]
      : [],
  ),
);

/** The attributes field of an event type, when the pinned API definitions know the type. */
export function attributesKeyOf(eventType: number | null | undefined): string | undefined {
  return attributesKeys.get(eventType ?? 0);
}

/**
 * Applies `event` through `table`. Returns why it could not (no entry for its type, or a feature this SDK lacks);
 * undefined once it was applied or needed no action.
 */
export function applyEvent(table: EventTable, event: IHistoryEvent): string | undefined {
  const key = attributesKeyOf(event.eventType);
  if (key === undefined) return `unknown event type ${event.eventType}: no handler in this SDK`;
  const entry = Object.hasOwn(table, key) ? table[key as EventAttributesKey] : undefined;
  if (entry === undefined) return 'no handler in this SDK';
  if (typeof entry === 'function') {
    // The key was derived from the event's own type, so these are that entry's attributes.
    const attributes = event[key as EventAttributesKey] ?? {};
    (entry as (attributes: unknown, event: IHistoryEvent) => void)(attributes, event);
    return undefined;
  }
  if ('unsupported' in entry) return `no handler in this SDK (${entry.unsupported} are not supported)`;
  return undefined;
}
