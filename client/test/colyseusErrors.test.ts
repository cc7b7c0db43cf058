import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { PROTOCOL_VERSION } from "@arena/shared";
import { errorCodeOf, errorSentence, isMatchBetweenProcesses, isRoomGone, isSeatRefused, isUnreachable } from "../src/net/errors.ts";
import { withTimeout } from "../src/net/withTimeout.ts";
import { spawnServer, type ServerProcess } from "@arena/testkit";

/**
 * How the client reads errors, against what the real server and the real
 * SDK produce: the project's code from the body, Colyseus's by its code,
 * and, where Colyseus gives one code to several errors, the texts it is
 * told apart by, pinned here.
 */
describe("the client's reading of server errors", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer();
  });
  after(() => server.stop());

  it("a refused join gives the project's code from the answer's body", async () => {
    const error = await new Client(server.endpoint).joinOrCreate("arena", { name: "Ann", protocol: PROTOCOL_VERSION - 1 }).catch((e: unknown) => e);
    assert.equal(errorCodeOf(error), "client_outdated");
    assert.match(errorSentence(error), /Reload the page/);
  });

  it("a rejoin into a room that is gone reads as a match between processes, not a refused seat", async () => {
    const error = await new Client(server.endpoint).reconnect("nosuchroom:sometoken").catch((e: unknown) => e);
    assert.equal(isMatchBetweenProcesses(error), true, String(error));
    assert.equal(isSeatRefused(error), false);
  });

  it("a rejoin with a token the room does not know reads as a refused seat", async () => {
    const room = await new Client(server.endpoint).joinOrCreate("arena", { name: "Ann", protocol: PROTOCOL_VERSION });
    try {
      const error = await new Client(server.endpoint).reconnect(`${room.roomId}:not-the-token`).catch((e: unknown) => e);
      assert.equal(isSeatRefused(error), true, String(error));
      assert.equal(isMatchBetweenProcesses(error), false);
      assert.match(errorSentence(error), /seat in that match is gone/);
    } finally {
      await room.leave();
    }
  });

  it("watching a room that is not there reads as a room gone; a rejoin into a room that moved does not", async () => {
    const error = await new Client(server.endpoint)
      .joinById("nosuchroom", { name: "Ann", protocol: PROTOCOL_VERSION, spectate: true })
      .catch((e: unknown) => e);
    assert.equal(isRoomGone(error), true, String(error));
    const moved = await new Client(server.endpoint).reconnect("nosuchroom:sometoken").catch((e: unknown) => e);
    assert.equal(isRoomGone(moved), false, String(moved));
    assert.equal(isRoomGone({ code: 404, message: 'room "abc" is locked' }), false, "a full room is there");
  });

  it("Colyseus's text for a remote room that does not answer is still the one the client reads (it has no code of its own)", () => {
    // The module the server runs (core's build), where remoteRoomCall writes the message.
    const source = readFileSync(new URL(import.meta.resolve("@colyseus/core/MatchMaker")), "utf8");
    assert.ok(source.includes("`remote room (${roomId}) timed out,"), "core's remoteRoomCall message");
    assert.ok(isMatchBetweenProcesses({ message: 'remote room (abc) timed out, requesting "x". (2000ms exceeded)', data: { code: 523 } }));
  });

  it("Colyseus's other 524, a seat reservation that expired (a race on a handover), is not a lost seat: it is retried", () => {
    assert.equal(isSeatRefused({ code: 524, message: "seat reservation expired." }), false);
    assert.equal(isSeatRefused({ code: 524, message: "bad reconnection token" }), true);
    assert.equal(isSeatRefused({ code: 410, message: "reconnection token invalid or expired." }), true);
  });

  it("an attempt that got no answer in time counts as unreachable, so it is retried", async () => {
    const error = await withTimeout(new Promise(() => {}), 1).catch((e: unknown) => e);
    assert.equal(isUnreachable(error), true);
    assert.equal(isUnreachable(new Error("room_full: That room is full.")), false);
  });
});
