/**
 * The smallest store React's `useSyncExternalStore` needs: `subscribe` returns
 * its own unsubscribe, and `getSnapshot` returns the same object until the value
 * changes (a new object on every call would re-render forever).
 */
export interface ReadableStore<T> {
  getSnapshot(): T;
  subscribe(listener: () => void): () => void;
}

export class ExternalStore<T> implements ReadableStore<T> {
  private snapshot: T;
  private readonly listeners = new Set<() => void>();

  constructor(initial: T) {
    this.snapshot = initial;
  }

  // Arrow properties so `useSyncExternalStore(store.subscribe, store.getSnapshot)` works unbound.
  readonly getSnapshot = (): T => this.snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Replace the snapshot and tell every listener. The caller passes a new object. */
  set(next: T): void {
    if (Object.is(next, this.snapshot)) return;
    this.snapshot = next;
    for (const listener of [...this.listeners]) callListener(listener);
  }
}

/**
 * Run an app's listener without letting its exception break the client's own
 * bookkeeping, and without hiding it either: it goes to `reportError` (the
 * browser's uncaught-error path) or the console.
 */
export function callListener(listener: () => void): void {
  try {
    listener();
  } catch (error) {
    reportListenerError(error);
  }
}

export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === "function") report(error);
  else console.error("pushgate client: a listener threw", error);
}
