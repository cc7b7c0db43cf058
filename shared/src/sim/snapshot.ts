import type { PickupState, PlayerState, WorldState } from "./types.ts";

/**
 * Everything the rules need to carry a world on from where it stopped: every
 * field of every player and pickup, the round clock and the generator state,
 * the server-only ones included (a schema's own `toJSON` leaves `.noSync()`
 * fields out). The patch events (shots, kills, pickups taken) are not part of
 * a world: they belong to the patch that carried them. Plain JSON data.
 */
export type WorldSnapshot = Pick<WorldState, "mode" | "phase" | "round" | "phaseSecondsLeft" | "phaseTimeS" | "roundLengthS" | "rngState"> & {
  /** In the world's player order (join order), keyed by player id. */
  players: [id: string, player: PlayerState][];
  pickups: PickupState[];
};

const PLAYER_FIELDS = [
  "name",
  "x",
  "y",
  "aim",
  "hp",
  "score",
  "alive",
  "connected",
  "shielded",
  "fireCooldownS",
  "respawnS",
  "shieldS",
] as const satisfies readonly (keyof PlayerState)[];
const PICKUP_FIELDS = ["x", "y", "active", "respawnS"] as const satisfies readonly (keyof PickupState)[];

function copyFields<T extends object, K extends keyof T>(from: T, to: T, fields: readonly K[]): T {
  for (const field of fields) to[field] = from[field];
  return to;
}

/** The world as plain data (see WorldSnapshot). */
export function snapshotWorld(world: WorldState): WorldSnapshot {
  const players: [string, PlayerState][] = [];
  world.players.forEach((player, id) => {
    players.push([id, copyFields(player, {} as PlayerState, PLAYER_FIELDS)]);
  });
  const pickups: PickupState[] = [];
  for (const pickup of world.pickups) pickups.push(copyFields(pickup, {} as PickupState, PICKUP_FIELDS));
  const { mode, phase, round, phaseSecondsLeft, phaseTimeS, roundLengthS, rngState } = world;
  return { mode, phase, round, phaseSecondsLeft, phaseTimeS, roundLengthS, rngState, players, pickups };
}

/**
 * Puts a snapshot into a fresh world (no players; pickups as `initWorld`
 * made them, in the same order): the world then steps exactly as the one the
 * snapshot was taken of. `newPlayer` makes the object for each player
 * (a schema instance, or a plain one).
 */
export function restoreWorld<P extends PlayerState, K extends PickupState>(world: WorldState<P, K>, snapshot: WorldSnapshot, newPlayer: () => P): void {
  world.mode = snapshot.mode;
  world.phase = snapshot.phase;
  world.round = snapshot.round;
  world.phaseSecondsLeft = snapshot.phaseSecondsLeft;
  world.phaseTimeS = snapshot.phaseTimeS;
  world.roundLengthS = snapshot.roundLengthS;
  world.rngState = snapshot.rngState;
  for (const [id, saved] of snapshot.players) world.players.set(id, copyFields(saved, newPlayer() as PlayerState, PLAYER_FIELDS) as P);
  let index = 0;
  for (const pickup of world.pickups) {
    const saved = snapshot.pickups[index++];
    if (saved !== undefined) copyFields(saved, pickup as PickupState, PICKUP_FIELDS);
  }
}
