import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ROOM_NAME } from "@arena/shared";
import { BALANCE_SLACK, CENSUS_MS, RoomPlacement } from "../../src/matchmaking/RoomPlacement.ts";
import { MemoryMatchMaker } from "./MemoryMatchMaker.ts";

const first = () => 0;

describe("RoomPlacement", () => {
  it("creates a lobby where it was asked for, whatever the load", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.live.add("other");
    for (let i = 0; i < 3; i++) mm.addRoom({ processId: "self" });
    assert.equal(await new RoomPlacement(mm, first).place("lobby"), "self");
  });

  it("sends a match to the live process with the fewest matches", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.live.add("b");
    mm.addRoom({ processId: "self" });
    mm.addRoom({ processId: "self" });
    mm.addRoom({ processId: "b" });
    assert.equal(await new RoomPlacement(mm, first).place(ROOM_NAME), "b");
  });

  it("never picks a process that is not live, even one whose listings remain", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.addRoom({ processId: "self" });
    mm.addRoom({ processId: "dead" }); // listed, not live: SIGKILLed before the sweep
    assert.equal(await new RoomPlacement(mm, first).place(ROOM_NAME), "self");
  });

  it("spreads a batch's creations, counting the rooms it has placed but not listed yet", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.live.add("b");
    const placement = new RoomPlacement(mm, first);
    const chosen = await placement.placingBatch(async () => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) out.push(await placement.place(ROOM_NAME));
      return out;
    });
    assert.deepEqual(chosen.toSorted(), ["b", "b", "self", "self"]);
    // The batch over, only the listings count again.
    assert.equal(await placement.place(ROOM_NAME), "self");
  });

  it("creates a room on this process when asked to (quick play's whole rooms), whatever the load, and only that room", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.live.add("b");
    for (let i = 0; i < 3; i++) mm.addRoom({ processId: "self" });
    const placement = new RoomPlacement(mm, first);
    mm.placeOn = (roomName, options) => placement.place(roomName, options);
    const here = { mode: "ffa" };
    assert.equal((await placement.createHere(here, () => mm.createRoom(ROOM_NAME, here))).processId, "self");
    assert.equal((await mm.createRoom(ROOM_NAME, { mode: "ffa" })).processId, "b", "any other room is placed");
    // The same options object again, outside createHere: placed.
    assert.equal((await mm.createRoom(ROOM_NAME, here)).processId, "b");
  });

  it("balancedHere: this process may make rooms on itself while it hosts at most BALANCE_SLACK (or a quarter) more matches than the least loaded live one", async () => {
    const mm = new MemoryMatchMaker("self");
    mm.live.add("b");
    mm.live.add("c");
    for (let i = 0; i < 40; i++) mm.addRoom({ processId: "b" });
    for (let i = 0; i < 40; i++) mm.addRoom({ processId: "c" });
    for (let i = 0; i < 50; i++) mm.addRoom({ processId: "self" });
    mm.addRoom({ processId: "dead" }); // not live: not the least loaded
    let now = 0;
    const placement = new RoomPlacement(mm, first);
    assert.equal(await placement.balancedHere(now), true, "50 against 40: within a quarter");
    for (let i = 0; i < 1; i++) mm.addRoom({ processId: "self" });
    assert.equal(await placement.balancedHere((now += CENSUS_MS / 2)), true, "counted at most once per CENSUS_MS");
    assert.equal(await placement.balancedHere((now += CENSUS_MS)), false, "51 against 40: more than a quarter");
    mm.live.delete("self");
    assert.equal(await placement.balancedHere(now + CENSUS_MS), false, "not live: placed like any room");

    const few = new MemoryMatchMaker("self");
    few.live.add("b");
    for (let i = 0; i < BALANCE_SLACK; i++) few.addRoom({ processId: "self" });
    const small = new RoomPlacement(few, first);
    assert.equal(await small.balancedHere(0), true, `${BALANCE_SLACK} against 0`);
    few.addRoom({ processId: "self" });
    assert.equal(await small.balancedHere(CENSUS_MS), false, `${BALANCE_SLACK + 1} against 0`);
    assert.equal(await new RoomPlacement(new MemoryMatchMaker("self"), first).balancedHere(0), true, "alone");
  });

  it("property: the choice is live and hosts no more matches than any live process", async () => {
    const processes = ["self", "p1", "p2", "p3"];
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(processes.slice(1)),
        fc.array(fc.constantFrom(...processes, "dead"), { maxLength: 40 }),
        fc.nat(),
        async (peers, hosts, seed) => {
          const mm = new MemoryMatchMaker("self");
          for (const peer of peers) mm.live.add(peer);
          for (const processId of hosts) mm.addRoom({ processId });
          const chosen = await new RoomPlacement(mm, (n) => seed % n).place(ROOM_NAME);
          const count = (id: string) => hosts.filter((h) => h === id).length;
          assert.ok(mm.live.has(chosen), `${chosen} is live`);
          for (const id of mm.live) assert.ok(count(chosen) <= count(id), `${chosen} (${count(chosen)}) vs ${id} (${count(id)})`);
        },
      ),
    );
  });
});
