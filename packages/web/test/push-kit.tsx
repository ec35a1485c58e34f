/**
 * Component tests on the real push client, driven by the testing kit's fake
 * push server (`@pushgate/client/testing`): the views, hooks and client are
 * all real; the test decides what the server publishes, refuses or breaks.
 */
import { createPushClient, type PushClient, type PushClientOptions } from "@pushgate/client";
import { createFakePushServer, FakePushServer, type FakePushServerOptions } from "@pushgate/client/testing";
import { act, render, type RenderResult } from "@testing-library/react";
import type { ReactNode } from "react";
import type { FanApi } from "../src/api.js";
import { PushProvider } from "../src/push-context.js";
import { fakeApi } from "./fake-api.js";

const started = new Set<PushClient>();

export interface KitOptions {
  api?: FanApi;
  server?: FakePushServer | FakePushServerOptions;
  client?: Partial<PushClientOptions>;
  /**
   * When to call `client.connect()`: `true` (default) right after rendering,
   * `"before-render"` first, as start.ts does (the page mounts on "connecting"),
   * `false` never (the test connects).
   */
  connect?: boolean | "before-render";
}

/** A real client on a fake server, for a test that renders nothing (or renders it itself). */
export function kitClient(options: Pick<KitOptions, "server" | "client"> = {}) {
  const server = options.server instanceof FakePushServer ? options.server : createFakePushServer(options.server);
  const client = createPushClient(server.clientOptions(options.client));
  started.add(client);
  return { server, client };
}

/** Render `ui` inside a PushProvider of a real client connected to a fake server; resolves once it settled. */
export async function renderOnKit(
  ui: ReactNode,
  options: KitOptions = {},
): Promise<RenderResult & { server: FakePushServer; client: PushClient }> {
  const { server, client } = kitClient(options);
  let result!: RenderResult;
  if (options.connect === "before-render") client.connect();
  // Mounted in its own act, so the first render sees the client as it is now (not after the settle below).
  act(() => {
    result = render(
      <PushProvider client={client} api={options.api ?? fakeApi()}>
        {ui}
      </PushProvider>,
    );
  });
  await act(async () => {
    if (options.connect === undefined || options.connect === true) client.connect();
    await server.settle();
  });
  return Object.assign(result, { server, client });
}

/** Run `change` on the server (publish, drop, refuse…) and let the client and React catch up. */
export async function onServer(server: FakePushServer, change: () => void | Promise<void>): Promise<void> {
  await act(async () => {
    await change();
    await server.settle();
  });
}

/** For afterEach: close every client these helpers started (a test's client must not outlive it). */
export function closeKitClients(): void {
  for (const client of started) client.close();
  started.clear();
}

/** A publication on the wire (as the fan-out makes it), awaited until the client and React caught up. */
export function publishOn<T extends string>(
  server: FakePushServer,
  topic: T,
  data: Parameters<typeof server.publish<T>>[1],
): Promise<void> {
  return onServer(server, () => void server.publish(topic, data));
}
