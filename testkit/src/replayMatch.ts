import {
  STEP_SECONDS,
  TICK_RATE_HZ,
  createPlainWorld,
  joinPlayer,
  leavePlayer,
  newPlainPlayer,
  nextRandom,
  sanitizeInput,
  snapshotWorld,
  stepTick,
  ReplayWriter,
  type InputFrame,
  type PlainWorld,
  type SeenBy,
  type SimEvent,
  type WorldSnapshot,
} from "@arena/shared";

export const REPLAY_ID = "abcdefghijklmnop";

/** A match played on a plain world while a ReplayWriter records it, as the server's room does. */
export interface RecordedMatch {
  bytes: Uint8Array;
  /** The world after each op: `worlds[n]` is after n ops (worlds[0] the start). */
  worlds: WorldSnapshot[];
  /** The op count right before step t + 1 (what the runner's `runTo(t)` runs), t = 0 to ticks - 1, then all of them. */
  opsAtTick: number[];
  events: { kills: number; pickups: number; rounds: number; shots: number };
  /** The world as the match left it. */
  world: PlainWorld;
}

/**
 * A reproducible match: players join, leave, drop and come back, are placed
 * next to each other, move, aim at each other and fire; shots are seen at
 * rewound positions (arbitrary doubles) or live. Rounds of `roundSeconds`.
 */
export function recordMatch(seed: number, ticks: number, roundSeconds = 4): RecordedMatch {
  let state = seed >>> 0;
  const rand = (): number => {
    const [next, value] = nextRandom(state);
    state = next;
    return value;
  };
  const world = createPlainWorld("ffa", seed);
  world.roundLengthS = roundSeconds;
  world.phaseTimeS = roundSeconds;
  let nextId = 0;
  const join = (): void => {
    const id = `p${nextId++}`;
    joinPlayer(world, id, newPlainPlayer(), `Name ${id}`);
    writer.join(id, `Name ${id}`);
    snap();
  };
  const ids = (): string[] => [...world.players.keys()];
  const pick = (): string | undefined => ids()[Math.floor(rand() * world.players.size)];
  // Two players in the world from the start: the start snapshot carries them.
  joinPlayer(world, "s0", newPlainPlayer(), "Start 0");
  joinPlayer(world, "s1", newPlainPlayer(), "Start 1");
  const writer = new ReplayWriter({ roomId: "room1", mode: "ffa", tickRate: TICK_RATE_HZ, dt: STEP_SECONDS, start: snapshotWorld(world) });
  const worlds: WorldSnapshot[] = [snapshotWorld(world)];
  const opsAtTick: number[] = [];
  const snap = (): void => {
    worlds.push(snapshotWorld(world));
  };
  const counts = { kills: 0, pickups: 0, rounds: 0, shots: 0 };
  const frames = new Map<string, InputFrame[]>();
  const framesOf = (id: string): InputFrame[] => frames.get(id) ?? [];
  const seenAt = { x: 0, y: 0 };
  const seenBy: SeenBy = () => (_id, target) => {
    if (rand() < 0.3) return target;
    seenAt.x = target.x + (rand() - 0.5) * 40;
    seenAt.y = target.y + (rand() - 0.5) * 40;
    return seenAt;
  };
  for (let tick = 0; tick < ticks; tick++) {
    if (world.players.size < 6 && rand() < 0.05) join();
    if (world.players.size > 1 && rand() < 0.01) {
      const id = pick()!;
      leavePlayer(world, id);
      writer.leave(id);
      snap();
    }
    if (rand() < 0.03) {
      const id = pick();
      const player = id === undefined ? undefined : world.players.get(id);
      if (id !== undefined && player !== undefined) {
        player.connected = !player.connected;
        writer.connected(id, player.connected);
        snap();
      }
    }
    if (rand() < 0.05) {
      // Next to another player (fights), or onto a pickup spot.
      const id = pick();
      const other = pick();
      const player = id === undefined ? undefined : world.players.get(id);
      const near = other === undefined ? undefined : world.players.get(other);
      if (id !== undefined && player !== undefined && near !== undefined) {
        player.x = near.x + 60 + Math.floor(rand() * 100);
        player.y = near.y;
        writer.place(id, player.x, player.y);
        snap();
      }
    }
    frames.clear();
    world.players.forEach((player, id) => {
      const list: InputFrame[] = [];
      const n = rand() < 0.8 ? 1 : Math.floor(rand() * 5);
      const target = world.players.get(pick() ?? id)!;
      for (let i = 0; i < n; i++) {
        const still = rand() < 0.5;
        list.push(
          sanitizeInput({
            moveX: still ? 0 : rand() * 2 - 1,
            moveY: still ? 0 : rand() < 0.5 ? 1 : rand() * 2 - 1,
            aim: rand() < 0.7 ? Math.atan2(target.y - player.y, target.x - player.x) : rand() * 7,
            fire: rand() < 0.5,
          }),
        );
      }
      frames.set(id, list);
    });
    const events: SimEvent[] = [];
    opsAtTick.push(writer.ops);
    const tap = writer.beginStep(framesOf, seenBy);
    stepTick(world, tap.framesOf, STEP_SECONDS, tap.seenBy, events);
    writer.endStep();
    snap();
    for (const event of events) {
      if (event.type === "kill") counts.kills++;
      else if (event.type === "pickup") counts.pickups++;
      else if (event.type === "round_start") counts.rounds++;
      else if (event.type === "shot") counts.shots++;
    }
  }
  opsAtTick.push(writer.ops);
  if (writer.failure !== undefined) throw new Error(`the writer stopped: ${writer.failure}`);
  return { bytes: writer.finish({ id: REPLAY_ID, startedAt: 1000, endedAt: 2000 }), worlds, opsAtTick, events: counts, world };
}
