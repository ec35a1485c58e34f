/**
 * Test doubles for what the push kit does not serve: the fan API (queue,
 * admission, reports) and promises a test settles by hand. The push side of
 * component tests is the real client on the testing kit's fake push server
 * (push-kit.tsx).
 */
import type { FanApi } from "../src/api.js";

/** An API whose calls the test settles by hand; unimplemented calls fail the test loudly. */
export function fakeApi(overrides: Partial<FanApi> = {}): FanApi {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected call to api.${name}`));
  return {
    joinQueue: unexpected("joinQueue"),
    // A fan who has not joined yet, unless the test says otherwise.
    myPlace: async () => undefined,
    admission: unexpected("admission"),
    requestReport: unexpected("requestReport"),
    fetchReport: unexpected("fetchReport"),
    ...overrides,
  };
}

/** A promise the test resolves or rejects when it chooses, to see the pending state in between. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
