/** Which channels were used, so the example can show which branch each run took. */
export async function notify(channel: string, orderId: string): Promise<string> {
  return `${channel}:${orderId}`;
}
