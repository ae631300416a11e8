/**
 * Hugo's `Once` (Go's `sync.Once`): `do(fn)` runs `fn` the first time only. The Once counts as done even when `fn`
 * throws (the throw reaches that first caller), so a failing initialiser is never retried.
 */
export class Once {
  private ran = false;

  get done(): boolean {
    return this.ran;
  }

  do(fn: () => void): void {
    if (this.ran) return;
    this.ran = true;
    fn();
  }
}
