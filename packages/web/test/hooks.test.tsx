/**
 * The hooks on the real push client and the testing kit's fake push server:
 * what they hold is what the client subscribes on the wire.
 */
import { act, cleanup, renderHook, screen } from "@testing-library/react";
import { StrictMode, useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useConnectionState, useTopic } from "../src/hooks.js";
import { PushProvider } from "../src/push-context.js";
import { fakeApi } from "./fake-api.js";
import { closeKitClients, kitClient, onServer, renderOnKit } from "./push-kit.js";

afterEach(() => {
  closeKitClients();
  cleanup();
});

// The data's type follows from the topic's name (game/... reads ScoreData), as in the client.
function Score({ topic }: { topic: `game/${string}` | undefined }) {
  const snapshot = useTopic(topic);
  return <p data-testid="value">{snapshot.data ? `${snapshot.data.home}-${snapshot.data.away}@${snapshot.seq}` : "none"}</p>;
}

describe("useTopic", () => {
  it("reads the topic's store and re-renders on every publication", async () => {
    const { server } = await renderOnKit(<Score topic="game/g1" />);
    expect(screen.getByTestId("value").textContent).toBe("none");
    await onServer(server, () => void server.publish("game/g1", { home: 3, away: 0 }));
    expect(screen.getByTestId("value").textContent).toBe("3-0@1");
    await onServer(server, () => void server.publish("game/g1", { home: 3, away: 1 }));
    expect(screen.getByTestId("value").textContent).toBe("3-1@2");
  });

  it("holds the topic on the wire while mounted, once for two components, and releases it on unmount (StrictMode sends nothing extra)", async () => {
    const view = await renderOnKit(
      <StrictMode>
        <Score topic="game/g1" />
        <Score topic="game/g1" />
      </StrictMode>,
    );
    const { server } = view;
    expect(server.subscribers("game/g1")).toBe(1);
    expect(
      server
        .connection()
        .framesOf("subscribe")
        .flatMap((frame) => frame.topics),
    ).toEqual(["game/g1"]);
    await act(async () => {
      view.unmount();
      await server.settle();
    });
    expect(server.subscribers("game/g1")).toBe(0);
    expect(
      server
        .connection()
        .framesOf("unsubscribe")
        .flatMap((frame) => frame.topics),
    ).toEqual(["game/g1"]);
  });

  it("holds nothing while the topic is unknown, then follows it when it changes", async () => {
    let setTopic!: (topic: `game/${string}` | undefined) => void;
    // biome-ignore lint/correctness/noComponentHookFactories: the test component hands its setter to the test through the closure.
    function Switcher() {
      const [topic, set] = useState<`game/${string}` | undefined>(undefined);
      setTopic = set;
      return <Score topic={topic} />;
    }
    const { server } = await renderOnKit(<Switcher />);
    expect(server.connection().framesOf("subscribe")).toEqual([]);
    expect(screen.getByTestId("value").textContent).toBe("none");

    await onServer(server, () => setTopic("game/g1"));
    expect(server.subscribers("game/g1")).toBe(1);
    await onServer(server, () => setTopic("game/g2"));
    expect(server.subscribers("game/g1")).toBe(0);
    expect(server.subscribers("game/g2")).toBe(1);
  });
});

describe("useConnectionState", () => {
  it("follows the client's connection, separately from topic data", async () => {
    const { server, client } = kitClient();
    server.refuseConnections();
    const { result } = renderHook(() => useConnectionState(), {
      wrapper: ({ children }) => (
        <PushProvider client={client} api={fakeApi()}>
          {children}
        </PushProvider>
      ),
    });
    expect(result.current).toMatchObject({ state: "closed", reason: undefined });
    await onServer(server, () => client.connect());
    expect(result.current).toMatchObject({ state: "polling", attempt: 1, lastError: { code: "HANDSHAKE_FAILED" } });
    await onServer(server, () => {
      server.acceptConnections();
      return server.advance(30_000);
    });
    expect(result.current.state).toBe("live");
  });

  it("explains itself when used outside the provider", () => {
    expect(() => renderHook(() => useConnectionState())).toThrow(/PushProvider/);
  });
});
