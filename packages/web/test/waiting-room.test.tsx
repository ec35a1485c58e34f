/**
 * The waiting room: the queue's wording, and the view on the real push client
 * and the testing kit's fake push server (the line moves by publications on
 * queue/e1; a refused topic is refused on the wire).
 */
import type { QueuePositionData } from "@pushgate/client";
import { createFakePushServer, type FakePushServer } from "@pushgate/client/testing";
import { act, cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { QueuePlace } from "../src/api.js";
import { ApiError } from "../src/api.js";
import { countdownText, estimatedWaitText, peopleAheadText, queueStanding } from "../src/queue-standing.js";
import { useDocumentTitle } from "../src/page-title.js";
import { WaitingRoom } from "../src/views/WaitingRoom.js";
import { deferred, fakeApi } from "./fake-api.js";
import { closeKitClients, onServer, publishOn, renderOnKit } from "./push-kit.js";

const PLACE: QueuePlace = {
  eventId: "e1",
  name: "The Finals",
  topic: "queue/e1",
  opensAt: "2026-11-22T11:00:00.000Z",
  status: "waiting",
  ticket: 151,
  servingNumber: 100,
  peopleAhead: 50,
};
/** A pre-queue place opening 3 minutes from now: made when the test starts (a loaded machine can take seconds to get there). */
const prequeuePlace = (): QueuePlace => ({
  ...PLACE,
  opensAt: new Date(Date.now() + 3 * 60_000 + 500).toISOString(),
  status: "prequeue",
  ticket: null,
  peopleAhead: null,
});
const pushed = (data: Partial<QueuePositionData>): QueuePositionData => ({
  servingNumber: 100,
  ticketsIssued: 500,
  admittedPerMinute: 10,
  phase: "open",
  opensAt: PLACE.opensAt,
  name: "The Finals",
  ...data,
});

afterEach(() => {
  closeKitClients();
  cleanup();
  document.title = "";
});

describe("queueStanding", () => {
  it("counts the tickets between the last admitted and yours, and the share of the line already served", () => {
    expect(queueStanding(151, 100, 100)).toEqual({ peopleAhead: 50, admitted: false, percentDone: 0 });
    expect(queueStanding(151, 125, 100)).toEqual({ peopleAhead: 25, admitted: false, percentDone: 50 });
    expect(queueStanding(151, 150, 100)).toEqual({ peopleAhead: 0, admitted: false, percentDone: 99 });
  });

  it("admits when the serving number reaches the ticket, and never counts below zero", () => {
    expect(queueStanding(150, 150, 100)).toEqual({ peopleAhead: 0, admitted: true, percentDone: 100 });
    expect(queueStanding(150, 170, 100)).toEqual({ peopleAhead: 0, admitted: true, percentDone: 100 });
  });

  it("words the count, the wait and the countdown for people", () => {
    expect(peopleAheadText(1)).toBe("1 person ahead of you");
    expect(peopleAheadText(2500)).toBe("2,500 people ahead of you");
    expect(estimatedWaitText(69, 10)).toBe("about 7 min");
    expect(estimatedWaitText(3, 10)).toBe("less than a minute");
    expect(estimatedWaitText(5000, 10)).toBe("about 8 h");
    expect(estimatedWaitText(50, 0)).toBeUndefined();
    expect(countdownText(7509)).toBe("2:05:09");
    expect(countdownText(249)).toBe("4:09");
  });
});

/** What the App shell does with the title while the waiting room is the view. */
function QueueTitle() {
  useDocumentTitle("queue");
  return null;
}

describe("WaitingRoom", () => {
  async function render(options: { place?: QueuePlace; api?: Parameters<typeof fakeApi>[0]; server?: FakePushServer } = {}) {
    const api = fakeApi({ myPlace: async () => options.place, joinQueue: async () => PLACE, ...options.api });
    const { server } = await renderOnKit(
      <>
        <QueueTitle />
        <WaitingRoom eventId="e1" />
      </>,
      { api, ...(options.server && { server: options.server }) },
    );
    return server;
  }

  it("offers to join when the fan has no place; joining shows the place, the people ahead and the pushed wait", async () => {
    // The server's clock 12 s behind the page's, so its publication is 12 s old when it arrives.
    const server = await render({ server: createFakePushServer({ now: Date.now() - 12_000 }) });
    await onServer(server, () => void fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    expect(screen.getByTestId("queue-ticket").textContent).toBe("151");
    expect(screen.getByTestId("people-ahead").textContent).toBe("50 people ahead of you");
    expect(screen.getByRole("progressbar", { name: "Your progress through the queue" }).getAttribute("aria-valuenow")).toBe("0");
    expect(server.subscribers("queue/e1")).toBe(1);
    await publishOn(server, "queue/e1", pushed({ servingNumber: 120, admittedPerMinute: 5 }));
    expect(screen.getByTestId("people-ahead").textContent).toBe("30 people ahead of you");
    expect(screen.getByTestId("queue-wait").textContent).toBe("Estimated wait: about 6 min");
    // How old, not a clock time the fan must compare with their own.
    expect(screen.getByTestId("queue-updated").textContent).toBe("Updated 12 s ago");
  });

  it("shows how far the browser is with the queue's proof of work while it joins", async () => {
    const joined = deferred<QueuePlace>();
    await render({
      api: {
        joinQueue: (_eventId, onProofProgress) => {
          onProofProgress?.(0.42);
          return joined.promise;
        },
      },
    });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    expect(screen.getByRole("progressbar", { name: "Checking this browser" }).getAttribute("value")).toBe("42");
    expect(screen.getByRole("button", { name: "Joining…" })).toBeTruthy();
    await act(async () => joined.resolve(PLACE));
    expect(screen.queryByTestId("join-proof")).toBeNull();
    expect(screen.getByTestId("queue-ticket").textContent).toBe("151");
  });

  it("finds the place again on a reload or in a new tab (GET .../me), without joining", async () => {
    await render({ place: PLACE, api: { joinQueue: () => Promise.reject(new Error("must not join again")) } });
    expect(screen.getByTestId("queue-ticket").textContent).toBe("151");
    expect(screen.queryByRole("button", { name: "Join the queue" })).toBeNull();
  });

  it("counts down in the pre-queue, then fetches the drawn place when the topic says the queue opened", async () => {
    const PREQUEUE = prequeuePlace();
    let opened = false;
    const server = await render({
      place: PREQUEUE,
      api: { myPlace: async () => (opened ? { ...PLACE, ticket: 7, servingNumber: 0, peopleAhead: 6 } : PREQUEUE) },
    });
    expect(screen.getByTestId("queue-countdown").textContent).toMatch(/^3:0[01]$/);
    expect(screen.getByTestId("queue-prequeue").textContent).toMatch(/everyone here gets a random place/);
    opened = true;
    await publishOn(server, "queue/e1", pushed({ servingNumber: 0, phase: "open", opensAt: PREQUEUE.opensAt }));
    expect(screen.getByTestId("queue-ticket").textContent).toBe("7");
    expect(screen.getByTestId("people-ahead").textContent).toBe("6 people ahead of you");
  });

  it("at the fan's turn asks the server for the admission, changes the title, and focuses Continue carrying the token", async () => {
    const admission = deferred<{ token: string; expiresAt: string; saleUrl: string }>();
    const server = await render({ place: PLACE, api: { admission: () => admission.promise } });
    await publishOn(server, "queue/e1", pushed({ servingNumber: 151 }));
    expect(screen.queryByTestId("people-ahead")).toBeNull();
    expect(screen.getByText("Getting your admission…")).toBeTruthy();
    await act(async () =>
      admission.resolve({
        token: "signed.jwt.here",
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        saleUrl: "https://tickets.example/buy",
      }),
    );
    const button = screen.getByRole("link", { name: "Continue to tickets" });
    expect(button.getAttribute("href")).toBe("https://tickets.example/buy#admission=signed.jwt.here");
    expect(document.activeElement).toBe(button);
    expect(document.title).toBe("It's your turn · Waiting room · pushgate");
    expect(screen.getByTestId("admission-time-left").textContent).toMatch(/^Use it within (10:00|9:59)\.$/);
    expect(screen.getByTestId("queue-announcer").textContent).toBe("It's your turn. Continue to tickets.");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
  });

  it("when the server says not yet, tells the fan and lets them try again", async () => {
    let attempt = 0;
    const server = await render({
      place: PLACE,
      api: {
        admission: async () => {
          attempt += 1;
          if (attempt === 1) throw new ApiError("NOT_YET", "not your turn yet", 409);
          return { token: "t", expiresAt: new Date(Date.now() + 60_000).toISOString() };
        },
      },
    });
    await publishOn(server, "queue/e1", pushed({ servingNumber: 151 }));
    expect(screen.getByRole("alert")).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Try again" })));
    expect(screen.getByRole("link", { name: "Continue to tickets" })).toBeTruthy();
  });

  it("ignores a snapshot older than the place answer (serving numbers only grow)", async () => {
    const server = await render({ place: PLACE });
    await publishOn(server, "queue/e1", pushed({ servingNumber: 90 }));
    expect(screen.getByTestId("people-ahead").textContent).toBe("50 people ahead of you");
  });

  it("tells the fan in plain words when joining fails, and lets them try again", async () => {
    let attempt = 0;
    await render({
      api: {
        joinQueue: async () => {
          attempt += 1;
          if (attempt === 1) throw new ApiError("RATE_LIMITED", "slow down", 429);
          return PLACE;
        },
      },
    });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    expect(screen.getByRole("alert").textContent).toMatch(/Wait a few seconds, then try again/);
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Try again" })));
    expect(screen.getByTestId("queue-ticket").textContent).toBe("151");
  });

  it("says so when the server refuses the queue topic", async () => {
    const server = createFakePushServer();
    server.refuseTopic("queue/e1", "FORBIDDEN", "not allowed");
    await render({ place: PLACE, server });
    expect(server.subscribers("queue/e1")).toBe(0);
    expect(screen.getByTestId("topic-problem").textContent).toMatch(/can't get live updates for your place in the queue/);
  });
});
