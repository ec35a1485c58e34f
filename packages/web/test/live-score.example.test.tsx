// The React Testing Library example of packages/client/README.md ("Testing your app"), verbatim:
// packages/client/test/readme.test.ts fails when the two differ, so the example cannot rot.
import { createPushClient, type PushClient } from "@pushgate/client";
import { createFakePushServer } from "@pushgate/client/testing";
import { act, cleanup, render, screen } from "@testing-library/react";
import { useSyncExternalStore } from "react";
import { afterEach, expect, it } from "vitest";

// The view under test: a live score and the connection state.
function LiveScore({ client, gameId }: { client: PushClient; gameId: string }) {
  const score = client.topic(`game/${gameId}`);
  const { data } = useSyncExternalStore(score.subscribe, score.getSnapshot);
  const { state } = useSyncExternalStore(client.connection.subscribe, client.connection.getSnapshot);
  return (
    <section>
      <p data-testid="score">{data ? `${data.home}–${data.away}` : "No score yet"}</p>
      <p data-testid="connection">{state}</p>
    </section>
  );
}

afterEach(cleanup);

it("shows pushed scores, keeps them through a drop, polls while the gateway is down, and catches up", async () => {
  const server = createFakePushServer();
  const client = createPushClient(server.clientOptions());
  render(<LiveScore client={client} gameId="g1" />);
  await act(async () => {
    client.connect();
    await server.settle();
  });
  expect(screen.getByTestId("connection").textContent).toBe("live");
  expect(screen.getByTestId("score").textContent).toBe("No score yet");

  await act(async () => {
    server.publish("game/g1", { home: 1, away: 0 });
    await server.settle();
  });
  expect(screen.getByTestId("score").textContent).toBe("1–0");

  // The gateway goes down: the last score stays on screen, and the client polls the snapshot.
  await act(async () => {
    server.refuseConnections();
    server.drop();
    await server.settle();
  });
  expect(screen.getByTestId("score").textContent).toBe("1–0");
  await act(async () => {
    server.publish("game/g1", { home: 1, away: 1 });
    await server.advance(30_000);
  });
  expect(screen.getByTestId("connection").textContent).toBe("polling");
  expect(screen.getByTestId("score").textContent).toBe("1–1");

  // The gateway is back: the client goes live again and pushes arrive once more.
  await act(async () => {
    server.acceptConnections();
    await server.advance(30_000);
    server.publish("game/g1", { home: 2, away: 1 });
    await server.settle();
  });
  expect(screen.getByTestId("connection").textContent).toBe("live");
  expect(screen.getByTestId("score").textContent).toBe("2–1");
  client.close();
});
