import { act, cleanup, render, renderHook, screen } from "@testing-library/react";
import { StrictMode, useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useConnectionState, useTopic } from "../src/hooks.js";
import { PushProvider } from "../src/push-context.js";
import { fakeApi, FakePushClient } from "./fake-push.js";

afterEach(cleanup);

// The data's type follows from the topic's name (game/... reads ScoreData), as in the client.
function Score({ topic }: { topic: `game/${string}` | undefined }) {
  const snapshot = useTopic(topic);
  return <p data-testid="value">{snapshot.data ? `${snapshot.data.home}-${snapshot.data.away}@${snapshot.seq}` : "none"}</p>;
}

describe("useTopic", () => {
  it("reads the topic's store and re-renders on every change", () => {
    const client = new FakePushClient();
    render(
      <PushProvider client={client} api={fakeApi()}>
        <Score topic="game/g1" />
      </PushProvider>,
    );
    expect(screen.getByTestId("value").textContent).toBe("none");
    client.publish("game/g1", { home: 3, away: 0 }, { seq: 4 });
    expect(screen.getByTestId("value").textContent).toBe("3-0@4");
  });

  it("holds the topic on the wire while mounted, once per component, and releases it on unmount (StrictMode too)", () => {
    const client = new FakePushClient();
    const view = render(
      <StrictMode>
        <PushProvider client={client} api={fakeApi()}>
          <Score topic="game/g1" />
          <Score topic="game/g1" />
        </PushProvider>
      </StrictMode>,
    );
    expect(client.holders("game/g1")).toBe(2);
    view.unmount();
    expect(client.holders("game/g1")).toBe(0);
  });

  it("holds nothing while the topic is unknown, then follows it when it changes", () => {
    const client = new FakePushClient();
    let setTopic!: (topic: `game/${string}` | undefined) => void;
    // biome-ignore lint/correctness/noComponentHookFactories: the test component hands its setter to the test through the closure.
    function Switcher() {
      const [topic, set] = useState<`game/${string}` | undefined>(undefined);
      setTopic = set;
      return <Score topic={topic} />;
    }
    render(
      <PushProvider client={client} api={fakeApi()}>
        <Switcher />
      </PushProvider>,
    );
    expect(client.totalHolders()).toBe(0);
    expect(screen.getByTestId("value").textContent).toBe("none");

    act(() => setTopic("game/g1"));
    expect(client.holders("game/g1")).toBe(1);
    act(() => setTopic("game/g2"));
    expect(client.holders("game/g1")).toBe(0);
    expect(client.holders("game/g2")).toBe(1);
  });
});

describe("useConnectionState", () => {
  it("follows the connection store, separately from topic data", () => {
    const client = new FakePushClient();
    const { result } = renderHook(() => useConnectionState(), {
      wrapper: ({ children }) => (
        <PushProvider client={client} api={fakeApi()}>
          {children}
        </PushProvider>
      ),
    });
    expect(result.current.state).toBe("live");
    client.setConnection({ state: "polling", attempt: 2 });
    expect(result.current).toMatchObject({ state: "polling", attempt: 2 }); // the fake fills the client snapshot's other fields
  });

  it("explains itself when used outside the provider", () => {
    expect(() => renderHook(() => useConnectionState())).toThrow(/PushProvider/);
  });
});
