import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  ArenaState,
  Pickup,
  Player,
  STEP_SECONDS,
  createPlainWorld,
  initWorld,
  joinPlayer,
  leavePlayer,
  livePositions,
  newPlainPlayer,
  nextRandom,
  sanitizeInput,
  restoreWorld,
  snapshotWorld,
  stepTick,
  type InputFrame,
  type PlayerState,
  type SimEvent,
  type WorldState,
} from "../src/index.ts";

/** What happens in one tick of a recorded match. */
interface LoggedTick {
  joins: { id: string; name: string }[];
  leaves: string[];
  disconnects: string[];
  reconnects: string[];
  frames: Record<string, InputFrame[]>;
}

/** A reproducible match: players come and go, drop and return, move, aim and shoot. */
function recordMatch(seed: number, ticks: number): LoggedTick[] {
  let state = seed;
  const rand = () => {
    const [next, value] = nextRandom(state);
    state = next;
    return value;
  };
  const present: string[] = [];
  const log: LoggedTick[] = [];
  let nextId = 0;
  for (let t = 0; t < ticks; t++) {
    const tick: LoggedTick = { joins: [], leaves: [], disconnects: [], reconnects: [], frames: {} };
    if (present.length < 12 && rand() < 0.05) {
      const id = `p${nextId++}`;
      present.push(id);
      tick.joins.push({ id, name: `bot ${id}` });
    }
    if (present.length > 2 && rand() < 0.005) tick.leaves.push(...present.splice(Math.floor(rand() * present.length), 1));
    if (present.length > 0 && rand() < 0.01) tick.disconnects.push(present[Math.floor(rand() * present.length)]);
    if (present.length > 0 && rand() < 0.02) tick.reconnects.push(present[Math.floor(rand() * present.length)]);
    for (const id of present) {
      const count = Math.floor(rand() * 3); // 0, 1 or 2 frames: stalls and catch-ups
      tick.frames[id] = Array.from({ length: count }, () =>
        sanitizeInput({
          moveX: rand() * 2 - 1,
          moveY: rand() * 2 - 1,
          aim: rand() * 7 - 0.5,
          fire: rand() < 0.3,
        }),
      );
    }
    log.push(tick);
  }
  return log;
}

/** Plays a log on any world; returns every event, in order. */
function replay<P extends PlayerState>(world: WorldState<P>, log: LoggedTick[], newPlayer: () => P): SimEvent[] {
  const events: SimEvent[] = [];
  for (const tick of log) {
    for (const { id, name } of tick.joins) joinPlayer(world, id, newPlayer(), name);
    for (const id of tick.leaves) leavePlayer(world, id);
    for (const id of tick.disconnects) {
      const p = world.players.get(id);
      if (p) p.connected = false;
    }
    for (const id of tick.reconnects) {
      const p = world.players.get(id);
      if (p) p.connected = true;
    }
    stepTick(
      world,
      (id) => tick.frames[id] ?? [],
      STEP_SECONDS,
      () => livePositions,
      events,
    );
  }
  return events;
}

/** Everything the simulation holds, server-only fields included, as plain data. */
function snapshot(world: WorldState): unknown {
  const players: Record<string, unknown> = {};
  world.players.forEach((p, id) => {
    players[id] = {
      name: p.name,
      x: p.x,
      y: p.y,
      aim: p.aim,
      hp: p.hp,
      score: p.score,
      alive: p.alive,
      connected: p.connected,
      shielded: p.shielded,
      fireCooldownS: p.fireCooldownS,
      respawnS: p.respawnS,
      shieldS: p.shieldS,
    };
  });
  return {
    players,
    pickups: [...world.pickups].map((k) => ({ x: k.x, y: k.y, active: k.active, respawnS: k.respawnS })),
    mode: world.mode,
    phase: world.phase,
    round: world.round,
    phaseSecondsLeft: world.phaseSecondsLeft,
    phaseTimeS: world.phaseTimeS,
    roundLengthS: world.roundLengthS,
    rngState: world.rngState,
  };
}

function digest(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

// 7 minutes of play: two full rounds and intermissions.
const TICKS = 7 * 60 * 30;

describe("determinism", () => {
  const log = recordMatch(1234, TICKS);

  it("the same input log run twice gives identical worlds and events", () => {
    const a = createPlainWorld("ffa", 99);
    const b = createPlainWorld("ffa", 99);
    const eventsA = replay(a, log, newPlainPlayer);
    const eventsB = replay(b, log, newPlainPlayer);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.deepEqual(eventsA, eventsB);
    assert.ok(eventsA.filter((e) => e.type === "kill").length > 10, "the log exercises kills");
    assert.ok(
      eventsA.some((e) => e.type === "round_end"),
      "the log crosses a round end",
    );
  });

  it("a schema-backed world and a plain-object world give identical results", () => {
    const plain = createPlainWorld("ffa", 99);
    const state = new ArenaState();
    initWorld(state, "ffa", 99, () => new Pickup());
    const plainEvents = replay(plain, log, newPlainPlayer);
    const schemaEvents = replay(state, log, () => new Player());
    assert.deepEqual(snapshot(state), snapshot(plain));
    assert.deepEqual(schemaEvents, plainEvents);
  });

  it("a world restored from a snapshot mid-match (through JSON, into a schema state) goes on exactly as the original", () => {
    const original = createPlainWorld("ffa", 99);
    const cut = Math.floor(log.length * 0.6);
    replay(original, log.slice(0, cut), newPlainPlayer);
    const saved = JSON.parse(JSON.stringify(snapshotWorld(original)));
    const restored = new ArenaState();
    initWorld(restored, "ffa", 1, () => new Pickup()); // another seed: the snapshot's generator state wins
    restoreWorld(restored, saved, () => new Player());
    assert.deepEqual(snapshot(restored), snapshot(original));
    const rest = log.slice(cut);
    const originalEvents = replay(original, rest, newPlainPlayer);
    const restoredEvents = replay(restored, rest, () => new Player());
    assert.deepEqual(restoredEvents, originalEvents);
    assert.deepEqual(snapshot(restored), snapshot(original));
    assert.ok(
      originalEvents.some((e) => e.type === "kill"),
      "the rest of the log has kills",
    );
  });

  it("matches the golden result recorded for this log", () => {
    // If a rule change is intended, this digest changes: update it in the same
    // commit and say why. An unexplained change means the simulation stopped
    // being deterministic (or an engine computes differently).
    const world = createPlainWorld("ffa", 99);
    const events = replay(world, log, newPlainPlayer);
    assert.equal(digest({ world: snapshot(world), events }), GOLDEN_DIGEST);
  });
});

const GOLDEN_DIGEST = "01237a83193ec1eb";
