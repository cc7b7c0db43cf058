import assert from "node:assert/strict";
import { test } from "node:test";
import type { Room } from "@colyseus/core";
import { SeatClaims } from "../../src/http/SeatClaims.ts";

/** Core's seats as a room holds them: `[options, auth, consumed, waitingReconnection]`. */
function roomWithSeats(seats: Record<string, [unknown, unknown, boolean, boolean]>): Room {
  return { _reservedSeats: seats } as unknown as Room;
}

const url = (path: string) => new URL(`ws://server${path}`);

test("a seat reserved and not taken in a room of this process is claimed by the first upgrade naming it, and only by it", () => {
  const room = roomWithSeats({
    fresh: [{}, undefined, false, false],
    taken: [{}, undefined, true, false],
    held: [{}, undefined, false, true],
  });
  const claims = new SeatClaims((roomId) => (roomId === "R1" ? room : undefined));

  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=fresh")), true);
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=fresh")), false, "named before: the seat is not new any more");
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=taken")), false, "a seat already taken");
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=held")), false, "a seat held for a reconnection");
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=nobody")), false, "no such seat");
  for (const name of ["__proto__", "constructor", "hasOwnProperty"]) {
    assert.equal(claims.firstClaim(url(`/proc/R1?sessionId=${name}`)), false, `not core's seat: ${name}`);
  }
});

test("reconnections, rooms of other processes and URLs that name no room claim nothing", () => {
  const seats = (): Record<string, [unknown, unknown, boolean, boolean]> => ({ s: [{}, undefined, false, false] });
  const local = new Map([
    ["R1", roomWithSeats(seats())],
    ["R2", roomWithSeats(seats())],
  ]);
  const claims = new SeatClaims((roomId) => local.get(roomId));
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=s&reconnectionToken=t")), false, "a reconnection");
  assert.equal(claims.firstClaim(url("/proc/ELSEWHERE?sessionId=s")), false, "a room of another process");
  assert.equal(claims.firstClaim(url("/R1?sessionId=s")), false, "no process in the path (the transport's pattern)");
  assert.equal(claims.firstClaim(url("/proc/R1")), false, "no session");
  assert.equal(claims.firstClaim(url("/proc/R1/?sessionId=s")), false);
  // The seats of each room are their own.
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=s")), true);
  assert.equal(claims.firstClaim(url("/proc/R2?sessionId=s")), true);
});

test("a room id that names a member every plain object has (core keeps its rooms in one) claims nothing, and does not throw", () => {
  // As core's `getLocalRoomById`: `rooms[roomId]` of a plain object.
  const rooms: Record<string, Room> = { R1: roomWithSeats({ s: [{}, undefined, false, false] }) };
  const claims = new SeatClaims((roomId) => rooms[roomId]);
  for (const roomId of ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "__defineGetter__"]) {
    assert.equal(claims.firstClaim(url(`/proc/${roomId}?sessionId=s`)), false, roomId);
  }
  assert.equal(claims.firstClaim(url("/proc/R1?sessionId=s")), true);
});
