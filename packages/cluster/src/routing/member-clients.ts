/** One client per member address, made on first use and closed once no live member has that address. */
export class MemberClients<C extends { close(): void }> {
  readonly #clients = new Map<string, C>();

  constructor(private readonly create: (address: string) => C) {}

  get(address: string): C {
    let client = this.#clients.get(address);
    if (!client) {
      client = this.create(address);
      this.#clients.set(address, client);
    }
    return client;
  }

  /** Closes the clients of addresses not in `live` (members that left the ring). */
  retain(live: ReadonlySet<string>): void {
    for (const [address, client] of this.#clients) {
      if (live.has(address)) continue;
      this.#clients.delete(address);
      client.close();
    }
  }

  closeAll(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
