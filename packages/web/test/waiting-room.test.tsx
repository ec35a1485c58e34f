import { act, cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { QueueTicket } from "../src/api.js";
import { ApiError } from "../src/api.js";
import { peopleAheadText, queueStanding } from "../src/queue-standing.js";
import { WaitingRoom } from "../src/views/WaitingRoom.js";
import { deferred, fakeApi, FakePushClient, renderWithPush } from "./fake-push.js";

const TICKET: QueueTicket = { ticket: 150, servingNumber: 100, eventId: "e1", topic: "queue/e1" };

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

describe("queueStanding", () => {
  it("counts ticket - serving people ahead and the share of the line already served", () => {
    expect(queueStanding(150, 100, 100)).toEqual({ peopleAhead: 50, admitted: false, percentDone: 0 });
    expect(queueStanding(150, 125, 100)).toEqual({ peopleAhead: 25, admitted: false, percentDone: 50 });
    expect(queueStanding(150, 149, 100)).toEqual({ peopleAhead: 1, admitted: false, percentDone: 98 });
  });

  it("admits when the serving number reaches the ticket, and never counts below zero", () => {
    expect(queueStanding(150, 150, 100)).toEqual({ peopleAhead: 0, admitted: true, percentDone: 100 });
    expect(queueStanding(150, 170, 100)).toEqual({ peopleAhead: 0, admitted: true, percentDone: 100 });
  });

  it("words the count for people", () => {
    expect(peopleAheadText(1)).toBe("1 person ahead of you");
    expect(peopleAheadText(2500)).toBe("2,500 people ahead of you");
  });
});

describe("WaitingRoom", () => {
  async function joined(client = new FakePushClient()) {
    const api = fakeApi({ joinQueue: async (eventId) => ({ ...TICKET, eventId }) });
    renderWithPush(<WaitingRoom eventId="e1" />, client, api);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    return client;
  }

  it("joins the queue and shows the ticket and the people ahead from the join answer", async () => {
    await joined();
    expect(screen.getByTestId("queue-ticket").textContent).toBe("150");
    expect(screen.getByTestId("people-ahead").textContent).toBe("50 people ahead of you");
    expect(screen.getByRole("progressbar", { name: "Your progress through the queue" }).getAttribute("aria-valuenow")).toBe("0");
  });

  it("moves the fan forward with each broadcast serving number", async () => {
    const client = await joined();
    expect(client.holders("queue/e1")).toBe(1);

    client.publish("queue/e1", { servingNumber: 125 });
    expect(screen.getByTestId("queue-serving").textContent).toBe("125");
    expect(screen.getByTestId("people-ahead").textContent).toBe("25 people ahead of you");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("50");
    expect(screen.getByTestId("queue-announcer").textContent).toBe("25 people ahead of you.");

    client.publish("queue/e1", { servingNumber: 149 });
    expect(screen.getByTestId("people-ahead").textContent).toBe("1 person ahead of you");
  });

  it("ignores a snapshot older than the join answer (serving numbers only grow)", async () => {
    const client = await joined();
    client.publish("queue/e1", { servingNumber: 90 });
    expect(screen.getByTestId("people-ahead").textContent).toBe("50 people ahead of you");
  });

  it("shows the admitted moment when the serving number reaches the ticket, and focuses it", async () => {
    const client = await joined();
    client.publish("queue/e1", { servingNumber: 150 });
    expect(screen.queryByTestId("people-ahead")).toBeNull();
    const heading = screen.getByRole("heading", { name: "You're in!" });
    expect(screen.getByTestId("queue-admitted").contains(heading)).toBe(true);
    expect(document.activeElement).toBe(heading);
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    expect(screen.getByTestId("queue-announcer").textContent).toMatch(/You're in!/);
  });

  it("keeps the ticket across a reload of the tab", async () => {
    await joined();
    cleanup();
    renderWithPush(<WaitingRoom eventId="e1" />);
    expect(screen.getByTestId("queue-ticket").textContent).toBe("150");
  });

  it("says it is joining while the request runs, and cannot be pressed twice", async () => {
    const answer = deferred<QueueTicket>();
    let calls = 0;
    const api = fakeApi({
      joinQueue: () => {
        calls += 1;
        return answer.promise;
      },
    });
    renderWithPush(<WaitingRoom eventId="e1" />, undefined, api);
    fireEvent.click(screen.getByRole("button", { name: "Join the queue" }));
    const button = screen.getByRole("button", { name: "Joining…" }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.click(button);
    expect(calls).toBe(1);
    await act(async () => answer.resolve(TICKET));
    expect(screen.getByTestId("people-ahead")).toBeTruthy();
  });

  it("tells the fan in plain words when joining fails, and lets them try again", async () => {
    let attempt = 0;
    const api = fakeApi({
      joinQueue: async () => {
        attempt += 1;
        if (attempt === 1) throw new ApiError("RATE_LIMITED", "slow down", 429);
        return TICKET;
      },
    });
    renderWithPush(<WaitingRoom eventId="e1" />, undefined, api);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toMatch(/Wait a few seconds, then try again/);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Try again" })));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByTestId("queue-ticket").textContent).toBe("150");
  });

  it("says so when the server refuses the queue topic", async () => {
    const client = await joined();
    client.refuse("queue/e1", "FORBIDDEN", "not allowed");
    expect(screen.getByTestId("topic-problem").textContent).toMatch(/can't get live updates for your place in the queue/);
  });
});
