import { createHash } from 'node:crypto';

/**
 * What the simulator decided and saw, in order, folded into one hash: two runs of a seed are the same run exactly
 * when their hashes are equal. The last lines are kept for a failure report.
 */
export class Trace {
  readonly #hash = createHash('sha256');
  readonly #tail: string[] = [];
  #count = 0;

  constructor(private readonly keep = 200) {}

  add(atMs: number, line: string): void {
    const entry = `${atMs} ${line}`;
    this.#hash.update(entry);
    this.#hash.update('\n');
    this.#count++;
    this.#tail.push(entry);
    if (this.#tail.length > this.keep) this.#tail.shift();
  }

  get count(): number {
    return this.#count;
  }

  tail(): readonly string[] {
    return this.#tail;
  }

  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}
