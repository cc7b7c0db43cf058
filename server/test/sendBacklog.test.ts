import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client, Room } from "@colyseus/core";
import { Metrics } from "../src/Metrics.ts";
import { createLogger } from "../src/logger.ts";
import { ClientGuard } from "../src/rooms/ClientGuard.ts";

const BOUND = 1000;

/** A ws socket as ClientGuard reads it: terminate() moves it to CLOSING, as ws does. */
function socket(bufferedAmount: number) {
  return {
    readyState: 1, bufferedAmount, terminated: 0,
    terminate() { this.terminated++; this.readyState = 2; },
    close() {},
  };
}

function guardOver(clients: { sessionId: string; ref?: ReturnType<typeof socket> }[]) {
  const metrics = new Metrics();
  const room = { roomId: "r", clients, _onMessage() {} } as unknown as Room;
  const guard = new ClientGuard(room, () => true, {
    settings: { maxMessagesPerSecond: 120, maxSendBacklogBytes: BOUND },
    metrics, log: createLogger("silent"),
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
      { sessionId: "stalled", ref: stalled }, { sessionId: "reader", ref: atBound },
      { sessionId: "closing", ref: closing }, { sessionId: "no socket" },
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
