/**
 * close_order of an open run: 9999-12-31T23:59:59.999Z in epoch milliseconds, above every close time. Temporal's
 * SQL visibility sorts and compares CloseTime as COALESCE(close_time, that moment); a stored non-null key keeps
 * the same order indexable.
 */
export const CLOSE_ORDER_OPEN = 253_402_300_799_999;

export function closeOrder(closeTime: number | null | undefined): number {
  return closeTime == null || closeTime === 0 ? CLOSE_ORDER_OPEN : closeTime;
}
