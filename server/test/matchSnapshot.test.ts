import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArenaState, Pickup, Player, createPlainWorld, initWorld, joinPlayer, newPlainPlayer, snapshotWorld } from "@arena/shared";
import { SNAPSHOT_FORMAT, graceLeftMs, parseSnapshot, type MatchSnapshot } from "../src/migration/MatchSnapshot.ts";

/** A snapshot as a room writes it: two players, one of them dropped. */
function written(): MatchSnapshot {
  const world = createPlainWorld("ffa", 7);
  joinPlayer(world, "annSession", newPlainPlayer(), "Ann");
  joinPlayer(world, "bobSession", newPlainPlayer(), "Bob");
  return {
    format: SNAPSHOT_FORMAT,
    roomId: "room123",
    version: 4,
    savedAt: 1_000_000,
    mode: "ffa",
    privateCode: "ABCDEF",
    graceSeconds: 20,
    world: snapshotWorld(world),
    seats: [
      { sessionId: "annSession", tokens: ["tokenA2", "tokenA1"], droppedAt: null, bankedSteps: 3 },
      { sessionId: "bobSession", tokens: ["tokenB1"], droppedAt: 995_000, bankedSteps: 0 },
    ],
  };
}

describe("match snapshots", () => {
  it("a snapshot as written reads back whole", () => {
    const snapshot = written();
    assert.deepEqual(parseSnapshot(JSON.stringify(snapshot), "room123"), snapshot);
  });

  it("a snapshot of a schema world (the server's) reads back too", () => {
    const state = new ArenaState();
    initWorld(state, "duel", 3, () => new Pickup());
    joinPlayer(state, "cleoSession", new Player(), "Cleo");
    const snapshot = {
      ...written(),
      mode: "duel" as const,
      world: snapshotWorld(state),
      seats: [{ sessionId: "cleoSession", tokens: ["tokenC1"], droppedAt: null, bankedSteps: 8 }],
    };
    assert.deepEqual(parseSnapshot(JSON.stringify(snapshot), "room123"), snapshot);
  });

  it("refuses what a forged or corrupt record could hold", () => {
    const cases: [string, (s: any) => unknown][] = [
      [
        "stored under another room's key",
        (s) => {
          s.roomId = "otherRoom";
        },
      ],
      [
        "another format",
        (s) => {
          s.format = 2;
        },
      ],
      [
        "a seat without a player",
        (s) => {
          s.seats[0].sessionId = "nobody";
        },
      ],
      [
        "a player twice",
        (s) => {
          s.world.players.push(s.world.players[0]);
        },
      ],
      [
        "three tokens for a seat",
        (s) => {
          s.seats[0].tokens.push("tokenA0");
        },
      ],
      [
        "a token that is not an id",
        (s) => {
          s.seats[0].tokens[0] = "../../x";
        },
      ],
      [
        "an unknown mode",
        (s) => {
          s.mode = "battle";
          s.world.mode = "battle";
        },
      ],
      [
        "a mode unlike the world's",
        (s) => {
          s.world.mode = "duel";
        },
      ],
      [
        "a position JSON cannot hold (Infinity, written as null)",
        (s) => {
          s.world.players[0][1].x = Infinity;
        },
      ],
      [
        "health out of range",
        (s) => {
          s.world.players[0][1].hp = 1000;
        },
      ],
      [
        "an unknown field",
        (s) => {
          s.world.players[0][1].admin = true;
        },
      ],
      [
        "a join code outside the alphabet",
        (s) => {
          s.privateCode = "AAAAA0";
        },
      ],
      [
        "a grace of days",
        (s) => {
          s.graceSeconds = 86_400;
        },
      ],
      [
        "too many players",
        (s) => {
          s.world.players = Array.from({ length: 300 }, (_, i) => [`p${i}`, s.world.players[0][1]]);
        },
      ],
    ];
    for (const [what, forge] of cases) {
      const snapshot = structuredClone(written());
      forge(snapshot);
      assert.equal(parseSnapshot(JSON.stringify(snapshot), "room123"), null, what);
    }
    // JSON has no Infinity, but a record's text can overflow to it: 1e400 reads back as Infinity.
    const overflowing = JSON.stringify(written()).replace(/"x":[^,}]+/, '"x":1e400');
    assert.match(overflowing, /"x":1e400/);
    assert.equal(parseSnapshot(overflowing, "room123"), null, "an infinite position");
    assert.equal(parseSnapshot("{not json", "room123"), null, "not JSON");
    assert.equal(parseSnapshot("null", "room123"), null, "null");
  });

  it("a seat's grace runs from its drop, or from the last write for a player connected then", () => {
    const snapshot = written();
    const [ann, bob] = snapshot.seats;
    assert.equal(graceLeftMs(snapshot, ann, 1_004_000), 16_000);
    assert.equal(graceLeftMs(snapshot, bob, 1_004_000), 11_000);
    assert.ok(graceLeftMs(snapshot, bob, 1_015_000) <= 0);
  });
});
