export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise with its settle functions, marked handled (see `handled`). */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise: handled(promise), resolve, reject };
}

/**
 * Marks a promise handed to workflow code as observed: a timer or activity cancelled along with its scope but
 * never awaited must not surface as an unhandled rejection (which would take the worker process down). Code that
 * awaits the promise still sees the rejection.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
