import { act, cleanup, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { ConnectionBanner } from "../src/components/ConnectionBanner.js";
import { connection, FakePushClient, renderWithPush } from "./fake-push.js";

const NOW = Date.parse("2026-11-22T12:00:00.000Z");

describe("ConnectionBadge", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  const badge = () => screen.getByTestId("connection-badge");

  it("says Live when the socket is open", () => {
    renderWithPush(<ConnectionBadge />);
    expect(badge()).toHaveProperty("textContent", "Live");
    expect(badge().dataset.state).toBe("live");
  });

  it("says Connecting… before the first socket opens", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "connecting", attempt: 0 }));
    renderWithPush(<ConnectionBadge />, client);
    expect(badge().textContent).toBe("Connecting…");
  });

  it("counts down to nextRetryAt while reconnecting, second by second", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "reconnecting", attempt: 2, nextRetryAt: NOW + 3_400 }));
    renderWithPush(<ConnectionBadge />, client);
    expect(badge().textContent).toBe("Reconnecting in 4 s");

    act(() => vi.advanceTimersByTime(400));
    expect(badge().textContent).toBe("Reconnecting in 3 s");
    act(() => vi.advanceTimersByTime(999));
    expect(badge().textContent).toBe("Reconnecting in 3 s");
    act(() => vi.advanceTimersByTime(1));
    expect(badge().textContent).toBe("Reconnecting in 2 s");
    act(() => vi.advanceTimersByTime(2_000));
    // The attempt is under way: no "in 0 s".
    expect(badge().textContent).toBe("Reconnecting…");
  });

  it("restarts the countdown when the client schedules a new retry", () => {
    const client = new FakePushClient();
    client.connection.set(connection({ state: "reconnecting", attempt: 1, nextRetryAt: NOW + 1_000 }));
    renderWithPush(<ConnectionBadge />, client);
    expect(badge().textContent).toBe("Reconnecting in 1 s");
    client.setConnection({ state: "reconnecting", attempt: 2, nextRetryAt: NOW + 7_000 });
    expect(badge().textContent).toBe("Reconnecting in 7 s");
  });

  it("says Polling while snapshots are polled, even with a background retry scheduled", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    client.setConnection({ state: "polling", attempt: 3, nextRetryAt: NOW + 5_000 });
    expect(badge().textContent).toBe("Polling");
    expect(badge().dataset.state).toBe("polling");
  });

  it("says Offline when the client is closed", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    client.setConnection({ state: "closed", attempt: 0 });
    expect(badge().textContent).toBe("Offline");
  });

  it("announces state changes to screen readers, but not the ticking seconds", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBadge />, client);
    const announcer = screen.getByTestId("connection-announcer");
    expect(announcer.getAttribute("aria-live")).toBe("polite");
    expect(announcer.textContent).toBe("Live updates on.");

    client.setConnection({ state: "reconnecting", attempt: 1, nextRetryAt: NOW + 5_000 });
    const said = announcer.textContent;
    expect(said).toMatch(/reconnecting/i);
    act(() => vi.advanceTimersByTime(2_000));
    expect(badge().textContent).toBe("Reconnecting in 3 s");
    expect(announcer.textContent).toBe(said);
  });
});

describe("ConnectionBanner", () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("says when the background retry comes while polling", () => {
    vi.useFakeTimers({ now: NOW });
    const client = new FakePushClient();
    client.connection.set(connection({ state: "polling", attempt: 2, nextRetryAt: NOW + 6_000 }));
    renderWithPush(<ConnectionBanner />, client);
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next live attempt in 6 s.");
    act(() => vi.advanceTimersByTime(2_000));
    expect(screen.getByTestId("connection-next-try").textContent).toBe(" Next live attempt in 4 s.");
    act(() => vi.advanceTimersByTime(4_000));
    expect(screen.queryByTestId("connection-next-try")).toBeNull();
  });

  it("is absent while live and explains the other states in plain words", () => {
    const client = new FakePushClient();
    renderWithPush(<ConnectionBanner />, client);
    expect(screen.queryByTestId("connection-hint")).toBeNull();
    client.setConnection({ state: "polling", attempt: 1 });
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/every few seconds/);
    client.setConnection({ state: "closed", reason: "offline" });
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/check your internet connection/i);
  });

  it("says live updates are stopped, not that the fan is offline, when the client was never started or was closed", () => {
    // The client reports a never-started client as closed with no reason (there is no "idle" reason).
    const client = new FakePushClient();
    renderWithPush(<ConnectionBanner />, client);
    client.setConnection({ state: "closed" });
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/live updates are stopped/i);
    client.setConnection({ state: "closed", reason: "client" });
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/live updates are stopped/i);
  });
});
