import { act, cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/App.js";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { ConnectionBanner } from "../src/components/ConnectionBanner.js";
import { pageConfig } from "../src/config.js";
import { connection, FakePushClient, renderWithPush } from "./fake-push.js";

const NOW = Date.parse("2026-11-22T12:00:00.000Z");

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const badge = () => screen.getByTestId("connection-badge");
const wait = (ms: number) => act(() => vi.advanceTimersByTime(ms));

describe("ConnectionBadge", () => {
  it("says Live when the socket is open", () => {
    renderWithPush(<ConnectionBadge />);
    expect(badge()).toHaveProperty("textContent", "Live");
    expect(badge().dataset.state).toBe("live");
  });

  it("shows the state it starts in at once: Connecting… before the first socket opens", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "connecting", attempt: 0 }));
    renderWithPush(<ConnectionBadge />, client);
    expect(badge().textContent).toBe("Connecting…");
  });

  it("never shows a state that lasts less than a second: a socket that dies and comes back in 300 ms stays Live", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    const announcer = screen.getByTestId("connection-announcer");
    client.setConnection({ state: "reconnecting", attempt: 1, nextRetryAt: NOW + 400 });
    wait(150);
    client.setConnection({ state: "polling", attempt: 2, nextRetryAt: NOW + 2_000 });
    wait(150);
    client.setConnection({ state: "live", attempt: 0 });
    wait(5_000);
    expect(badge().textContent).toBe("Live");
    expect(announcer.textContent).toBe("Live updates on.");
  });

  it("shows a state once it has lasted a second, however often its details changed meanwhile", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    client.setConnection({ state: "reconnecting", attempt: 1, nextRetryAt: NOW + 400 });
    wait(600);
    client.setConnection({ state: "reconnecting", attempt: 2, nextRetryAt: NOW + 1_800 });
    wait(399);
    expect(badge().textContent).toBe("Live");
    wait(1);
    expect(badge().textContent).toBe("Reconnecting…");
    expect(badge().dataset.state).toBe("reconnecting");
  });

  it("says the updates may be late, not 'Polling', while snapshots are polled", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    client.setConnection({ state: "polling", attempt: 3, nextRetryAt: NOW + 5_000 });
    wait(1_000);
    expect(badge().textContent).toBe("A few seconds late");
    expect(badge().dataset.state).toBe("polling");
    expect(screen.getByTestId("connection-announcer").textContent).toBe("Updates may be a few seconds late.");
  });

  it("says Offline when the client is closed", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    client.setConnection({ state: "closed", attempt: 0, reason: "offline" });
    wait(1_000);
    expect(badge().textContent).toBe("Offline");
  });

  it("announces each shown state once, never ticking seconds", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    const announcer = screen.getByTestId("connection-announcer");
    expect(announcer.getAttribute("aria-live")).toBe("polite");
    client.setConnection({ state: "reconnecting", attempt: 1, nextRetryAt: NOW + 5_000 });
    wait(1_000);
    const said = announcer.textContent;
    expect(said).toMatch(/reconnecting/i);
    wait(3_000);
    expect(announcer.textContent).toBe(said);
  });
});

describe("ConnectionBanner", () => {
  it("counts down steadily to the next try, then says it is trying", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "polling", attempt: 2, nextRetryAt: NOW + 6_000 }));
    renderWithPush(<ConnectionBanner />, client);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next try in 6 s.");
    wait(2_000);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next try in 4 s.");
    wait(4_000);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Trying now…");
  });

  it("is absent while live and explains the other states in a fan's words", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBanner />, client);
    expect(screen.queryByTestId("connection-hint")).toBeNull();
    client.setConnection({ state: "polling", attempt: 1 });
    wait(1_000);
    const polling = screen.getByTestId("connection-hint").textContent ?? "";
    expect(polling).toMatch(/Updates may be a few seconds late/);
    expect(polling).not.toMatch(/poll|snapshot|socket/i);
    client.setConnection({ state: "closed", reason: "offline" });
    wait(1_000);
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/You're offline/);
    client.setConnection({ state: "closed", reason: "client" });
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/paused/);
    expect(screen.getByTestId("connection-hint").textContent).not.toMatch(/reload/i);
  });

  it("offers Retry now, which asks the client to reconnect at once (not while the first connect is under way)", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "connecting" }));
    renderWithPush(<ConnectionBanner />, client);
    expect(screen.queryByTestId("retry-now")).toBeNull();
    client.setConnection({ state: "reconnecting", attempt: 3, nextRetryAt: NOW + 9_000 });
    wait(1_000);
    fireEvent.click(screen.getByRole("button", { name: "Retry now" }));
    expect(client.reconnectNowCalls).toBe(1);
  });

  it("says how old the data is, and the page greys it, once nothing has confirmed it for 30 s without a live socket", () => {
    const client = new FakePushClient();
    client.freshness.set({ confirmedAt: NOW });
    renderWithPush(<App config={pageConfig({})} />, client);
    client.setConnection({ state: "polling", attempt: 4, nextRetryAt: NOW + 20_000 });
    wait(30_000);
    expect(screen.queryByTestId("connection-data-age")).toBeNull();
    expect(screen.getByRole("main").className).not.toMatch(/main--stale/);
    wait(1_000);
    expect(screen.getByTestId("connection-data-age").textContent).toBe(" Scores last checked 31 s ago.");
    expect(screen.getByRole("main").className).toMatch(/main--stale/);
    client.confirm(Date.now()); // a polling round got through
    expect(screen.queryByTestId("connection-data-age")).toBeNull();
    expect(screen.getByRole("main").className).not.toMatch(/main--stale/);
  });
});
