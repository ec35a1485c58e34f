/**
 * The connection badge and banner on the real push client and the testing
 * kit's fake push server: every state they show is one the client reached by
 * a real transition (a drop, refused or unanswered handshakes, going
 * offline). The page's timers (the badge's settling second, the countdown)
 * are vitest's fake timers, moved in step with the server's clock.
 */
import { createFakePushServer, type FakePushServer } from "@pushgate/client/testing";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/App.js";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { ConnectionBanner } from "../src/components/ConnectionBanner.js";
import { pageConfig } from "../src/config.js";
import { PushProvider } from "../src/push-context.js";
import { fakeApi } from "./fake-api.js";
import { closeKitClients, type KitOptions, kitClient, onServer, renderOnKit } from "./push-kit.js";

/** Backoff the test can read: the first retry comes 5.5 s after the first failure (0.6875 of an 8 s ceiling). */
const SLOW_RETRIES: KitOptions["client"] = { random: () => 0.6875, reconnect: { baseMs: 8_000, capMs: 20_000 } };
/** The client's own backoff (first retry within 0.5 s) with a fixed jitter of one half: retries after 250 ms, then 500 ms, then 1 s. */
const FAST_RETRIES: KitOptions["client"] = { random: () => 0.5 };

let server: FakePushServer;

beforeEach(() => {
  server = createFakePushServer({ onAdvance: (ms) => vi.advanceTimersByTime(ms) });
  vi.useFakeTimers({ now: server.now() });
});
afterEach(() => {
  closeKitClients();
  cleanup();
  vi.useRealTimers();
});

const badge = () => screen.getByTestId("connection-badge");
/** Virtual time for the client and the page's timers alike. */
const wait = (ms: number) => onServer(server, () => server.advance(ms));
const change = (what: () => void) => onServer(server, what);

/** Mounted as start.ts mounts the page: the client connects first, so the view starts on "connecting". */
const renderConnecting = (ui: ReactNode, client: KitOptions["client"] = FAST_RETRIES) =>
  renderOnKit(ui, { server, client, connect: "before-render" });

/** Mounted once the client has settled in whatever state the server left it (the view starts on that state). */
async function renderSettled(ui: ReactNode, client: KitOptions["client"] = FAST_RETRIES) {
  const kit = kitClient({ server, client });
  await act(async () => {
    kit.client.connect();
    await server.settle();
  });
  act(() => {
    render(
      <PushProvider client={kit.client} api={fakeApi()}>
        {ui}
      </PushProvider>,
    );
  });
  return kit;
}

/** Mounted, connected, and shown as Live. */
async function renderLive(ui: ReactNode, client?: KitOptions["client"]) {
  const view = await renderConnecting(ui, client);
  await wait(1_000);
  expect(view.client.connection.getSnapshot().state).toBe("live");
  return view;
}

describe("ConnectionBadge", () => {
  it("says Live when the socket is open", async () => {
    await renderLive(<ConnectionBadge />);
    expect(badge()).toHaveProperty("textContent", "Live");
    expect(badge().dataset.state).toBe("live");
  });

  it("shows the state it starts in at once: Connecting… before the first socket opens", async () => {
    await renderConnecting(<ConnectionBadge />);
    expect(badge().textContent).toBe("Connecting…");
  });

  it("never shows a state that lasts less than a second: a socket that dies and comes back within a second stays Live", async () => {
    const { client } = await renderLive(<ConnectionBadge />);
    const announcer = screen.getByTestId("connection-announcer");
    // Dropped: reconnecting, its retry at 250 ms is refused, so polling until the next at 750 ms, which opens.
    await change(() => {
      server.refuseConnections();
      server.drop();
    });
    expect(client.connection.getSnapshot().state).toBe("reconnecting");
    await wait(300);
    expect(client.connection.getSnapshot().state).toBe("polling");
    expect(badge().textContent).toBe("Live");
    await change(() => server.acceptConnections());
    await wait(500);
    expect(client.connection.getSnapshot().state).toBe("live");
    await wait(5_000);
    expect(badge().textContent).toBe("Live");
    expect(announcer.textContent).toBe("Live updates on.");
  });

  it("shows a state once it has lasted a second, however often its details changed meanwhile", async () => {
    const { client } = await renderLive(<ConnectionBadge />);
    // Dropped at 0 and refused from then on: reconnecting, then polling from 250 ms (attempt 2), retried and refused at 750 ms (attempt 3).
    await change(() => {
      server.refuseConnections();
      server.drop();
    });
    await wait(250);
    expect(client.connection.getSnapshot()).toMatchObject({ state: "polling", attempt: 2 });
    await wait(600);
    expect(client.connection.getSnapshot()).toMatchObject({ state: "polling", attempt: 3 });
    await wait(399);
    expect(badge().textContent).toBe("Live");
    await wait(1);
    expect(badge().textContent).toBe("A few seconds late");
    expect(badge().dataset.state).toBe("polling");
  });

  it("says the updates may be late, not 'Polling', while snapshots are polled", async () => {
    server.refuseConnections();
    const { client } = await renderConnecting(<ConnectionBadge />);
    expect(client.connection.getSnapshot().state).toBe("polling");
    await wait(1_000);
    expect(badge().textContent).toBe("A few seconds late");
    expect(badge().dataset.state).toBe("polling");
    expect(screen.getByTestId("connection-announcer").textContent).toBe("Updates may be a few seconds late.");
  });

  it("says Offline when the device goes offline", async () => {
    await renderLive(<ConnectionBadge />);
    await change(() => server.setOnline(false));
    await wait(1_000);
    expect(badge().textContent).toBe("Offline");
  });

  it("announces each shown state once, never ticking seconds", async () => {
    const { client } = await renderLive(<ConnectionBadge />);
    const announcer = screen.getByTestId("connection-announcer");
    expect(announcer.getAttribute("aria-live")).toBe("polite");
    // Dropped, and the retry never answered: reconnecting for as long as the connect timeout (15 s).
    await change(() => {
      server.refuseConnections("hang");
      server.drop();
    });
    await wait(1_000);
    const said = announcer.textContent;
    expect(said).toMatch(/reconnecting/i);
    await wait(3_000);
    expect(client.connection.getSnapshot().state).toBe("reconnecting");
    expect(announcer.textContent).toBe(said);
  });
});

describe("ConnectionBanner", () => {
  it("counts down steadily to the next try, then says it is trying", async () => {
    server.refuseConnections();
    const { client } = await renderSettled(<ConnectionBanner />, SLOW_RETRIES);
    expect(client.connection.getSnapshot()).toMatchObject({ state: "polling", nextRetryAt: server.now() + 5_500 });
    // 5.5 s left: whole seconds rounded up, so "0 s" never shows while a try is still ahead.
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next try in 6 s.");
    // The next try goes unanswered, so the banner stays on it.
    await change(() => server.refuseConnections("hang"));
    await wait(500);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next try in 5 s.");
    await wait(2_000);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next try in 3 s.");
    await wait(3_000);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Trying now…");
  });

  it("is absent while live and explains the other states in a fan's words", async () => {
    const { client } = await renderLive(<ConnectionBanner />);
    expect(screen.queryByTestId("connection-hint")).toBeNull();
    // Dropped and refused: polling from 250 ms, shown a second later.
    await change(() => {
      server.refuseConnections();
      server.drop();
    });
    await wait(1_250);
    const polling = screen.getByTestId("connection-hint").textContent ?? "";
    expect(polling).toMatch(/Updates may be a few seconds late/);
    expect(polling).not.toMatch(/poll|snapshot|socket/i);
    await change(() => server.setOnline(false));
    await wait(1_000);
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/You're offline/);
    // Closed by the app (not the network): the same shown state, so its new reason shows at once.
    await change(() => client.close());
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/paused/);
    expect(screen.getByTestId("connection-hint").textContent).not.toMatch(/reload/i);
  });

  it("offers Retry now, which reconnects at once (not while the first connect is under way)", async () => {
    server.refuseConnections("hang");
    const { client } = await renderConnecting(<ConnectionBanner />, SLOW_RETRIES);
    await wait(1_000);
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/Connecting/);
    expect(screen.queryByTestId("retry-now")).toBeNull();
    // The first handshake times out (15 s): polling, its next try 5.5 s away.
    await wait(15_000);
    expect(client.connection.getSnapshot().state).toBe("polling");
    await change(() => server.acceptConnections());
    await change(() => fireEvent.click(screen.getByRole("button", { name: "Retry now" })));
    expect(client.connection.getSnapshot().state).toBe("live");
    expect(server.openConnections()).toHaveLength(1);
  });

  it("says how old the data is, and the page greys it, once nothing has confirmed it for 30 s without a live socket", async () => {
    const { client } = await renderLive(<App config={pageConfig({})} />);
    const confirmedAt = client.freshness.getSnapshot().confirmedAt;
    expect(confirmedAt).toBeDefined();
    // Offline: no socket and no polling round can confirm anything.
    await change(() => server.setOnline(false));
    await wait(confirmedAt! + 30_000 - server.now());
    expect(screen.queryByTestId("connection-data-age")).toBeNull();
    expect(screen.getByRole("main").className).not.toMatch(/main--stale/);
    await wait(1_000);
    expect(screen.getByTestId("connection-data-age").textContent).toBe(" Scores last checked 31 s ago.");
    expect(screen.getByRole("main").className).toMatch(/main--stale/);
    // Back online: the new socket confirms the data as current.
    await change(() => server.setOnline(true));
    expect(client.connection.getSnapshot().state).toBe("live");
    expect(screen.queryByTestId("connection-data-age")).toBeNull();
    expect(screen.getByRole("main").className).not.toMatch(/main--stale/);
  });
});
