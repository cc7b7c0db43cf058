import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { matchMaker, type Room } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { type RunningServer, waitFor } from "@arena/testkit";
import { Metrics } from "../src/Metrics.ts";
import { createLogger } from "../src/logger.ts";
import { ClientGuard } from "../src/rooms/ClientGuard.ts";
import { startServer } from "./helpers/servers.ts";

const BOUND = 1000;

/** A ws socket as ClientGuard reads it: terminate() moves it to CLOSING, as ws does. */
function socket(bufferedAmount: number) {
  return {
    readyState: 1,
    bufferedAmount,
    terminated: 0,
    terminate() {
      this.terminated++;
      this.readyState = 2;
    },
    close() {},
  };
}

function guardOver(clients: { sessionId: string; ref?: ReturnType<typeof socket> }[]) {
  const metrics = new Metrics();
  const room = { roomId: "r", clients, _onMessage() {} } as unknown as Room;
  const guard = new ClientGuard(room, () => true, {
    settings: { maxMessagesPerSecond: 120, maxSendBacklogBytes: BOUND },
    metrics,
    log: createLogger("silent"),
  });
  const slow = async () => (await metrics.connections.get()).values.find((v) => v.labels.event === "slow")?.value ?? 0;
  return { guard, slow };
}

describe("send backlog check (once per patch)", () => {
  it("cuts a client past the bound once, leaves one at or under it alone, and skips sockets already closing or gone", async () => {
    const stalled = socket(BOUND + 1);
    const atBound = socket(BOUND);
    const closing = Object.assign(socket(BOUND * 10), { readyState: 2 });
    const clients = [
      { sessionId: "stalled", ref: stalled },
      { sessionId: "reader", ref: atBound },
      { sessionId: "closing", ref: closing },
      { sessionId: "no socket" },
    ];
    const { guard, slow } = guardOver(clients);
    guard.checkBacklogs();
    guard.checkBacklogs();
    assert.equal(stalled.terminated, 1, "cut once, however many patches follow");
    assert.equal(atBound.terminated, 0);
    assert.equal(closing.terminated, 0);
    assert.equal(await slow(), 1);
  });
});

describe("send backlog check in the lobby", () => {
  const LOBBY_BOUND = 16384;
  let server: RunningServer;
  before(async () => {
    server = await startServer({ MAX_SEND_BACKLOG_BYTES: String(LOBBY_BOUND) });
  });
  after(() => server.stop());

  it("rides the lobby's patch ticks (it has no state to patch): a lobby client whose backlog passes the bound is cut", async () => {
    const lobby = await new Client(server.endpoint).joinOrCreate("lobby");
    const reader = await new Client(server.endpoint).joinOrCreate("lobby");
    // A lobby sends too little to fill loopback's buffers for real: the server-side socket reports a backlog instead.
    const joined = matchMaker.getLocalRoomById(lobby.roomId).clients.find((c) => c.sessionId === lobby.sessionId)!;
    Object.defineProperty((joined as unknown as { ref: object }).ref, "bufferedAmount", { get: () => LOBBY_BOUND + 1 });
    await waitFor("the stalled lobby client cut", () => !lobby.connection.isOpen, 2000);
    assert.ok(reader.connection.isOpen, "the other lobby client stays");
    await reader.leave();
  });
});
