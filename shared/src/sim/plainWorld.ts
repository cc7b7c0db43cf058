import type { GameMode } from "../modes.ts";
import type { PickupState, PlayerState, WorldState } from "./types.ts";
import { initWorld } from "./world.ts";

export type PlainWorld = WorldState<PlayerState, PickupState> & {
  players: Map<string, PlayerState>;
  pickups: PickupState[];
};

/** A player as a plain object, for worlds without @colyseus/schema. */
export function newPlainPlayer(): PlayerState {
  return {
    name: "",
    x: 0,
    y: 0,
    aim: 0,
    hp: 0,
    score: 0,
    alive: false,
    connected: true,
    shielded: false,
    fireCooldownS: 0,
    respawnS: 0,
    shieldS: 0,
  };
}

/** A world of plain objects (tests, benchmarks, tools): same rules, no schema. */
export function createPlainWorld(mode: GameMode, seed: number): PlainWorld {
  const world: PlainWorld = {
    players: new Map(),
    pickups: [],
    mode,
    phase: "playing",
    round: 1,
    phaseSecondsLeft: 0,
    phaseTimeS: 0,
    roundLengthS: 0,
    rngState: 0,
  };
  initWorld(world, mode, seed, () => ({ x: 0, y: 0, active: true, respawnS: 0 }));
  return world;
}
