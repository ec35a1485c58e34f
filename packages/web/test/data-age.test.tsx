import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UpdatedAgo } from "../src/components/UpdatedAgo.js";
import { ageText } from "../src/data-age.js";

const NOW = Date.parse("2026-11-22T12:00:00.000Z");

describe("ageText", () => {
  it("says how long ago in a fan's words, never negative (a server clock ahead of the phone's)", () => {
    expect(ageText(-3_000)).toBe("just now");
    expect(ageText(4_999)).toBe("just now");
    expect(ageText(12_400)).toBe("12 s ago");
    expect(ageText(59_999)).toBe("59 s ago");
    expect(ageText(3 * 60_000 + 5_000)).toBe("3 min ago");
    expect(ageText(2 * 3_600_000)).toBe("2 h ago");
    expect(ageText(3 * 86_400_000)).toBe("3 days ago");
  });
});

describe("UpdatedAgo", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("ticks every second under a minute and every minute after, keeping the exact time for machines", () => {
    const ts = new Date(NOW - 10_000).toISOString();
    render(<UpdatedAgo ts={ts} testId="age" />);
    expect(screen.getByTestId("age").textContent).toBe("Updated 10 s ago");
    expect(screen.getByTestId("age").querySelector("time")?.getAttribute("datetime")).toBe(ts);
    act(() => vi.advanceTimersByTime(2_000));
    expect(screen.getByTestId("age").textContent).toBe("Updated 12 s ago");
    act(() => vi.advanceTimersByTime(48_000));
    expect(screen.getByTestId("age").textContent).toBe("Updated 1 min ago");
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByTestId("age").textContent).toBe("Updated 2 min ago");
  });
});
