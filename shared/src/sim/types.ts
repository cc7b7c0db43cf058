/**
 * Structural types of the simulation world. The server's schema state and a
 * plain-object world both satisfy them, so one set of rules drives both.
 */

/** One player's simulated state. The first group is sent to clients. */
export interface PlayerState {
  name: string;
  x: number;
  y: number;
  /** Facing, radians in [0, 2pi), snapped to the wire's 16-bit angle. */
  aim: number;
  hp: number;
  score: number;
  alive: boolean;
  /** False while the player's connection is down and their seat is held. */
  connected: boolean;
  /** Spawn protection: cannot be damaged. */
  shielded: boolean;

  // Server-side only.
  /** Seconds until the weapon can fire again, counted in this player's own steps. */
  fireCooldownS: number;
  /** Seconds until respawn while dead. */
  respawnS: number;
  /** Seconds of spawn protection left. */
  shieldS: number;
}

export interface PickupState {
  x: number;
  y: number;
  active: boolean;
  /** Server-side only: seconds until it comes back. */
  respawnS: number;
}

/** The subset of Map that MapSchema also implements, in insertion order. */
export interface PlayerTable<P> {
  get(id: string): P | undefined;
  set(id: string, player: P): unknown;
  delete(id: string): boolean;
  forEach(fn: (player: P, id: string) => void): void;
  readonly size: number;
}

export interface WorldState<P extends PlayerState = PlayerState, K extends PickupState = PickupState> {
  players: PlayerTable<P>;
  pickups: Iterable<K>;
  mode: string;
  phase: string;
  round: number;
  /** Whole seconds left in the current phase (what clients display). */
  phaseSecondsLeft: number;

  // Server-side only.
  /** Exact time left in the current phase. */
  phaseTimeS: number;
  /** Length of a round in this world's mode. */
  roundLengthS: number;
  /** Seeded generator state (see rng.ts). */
  rngState: number;
}

/** One step of one player's controls, as sent by the client. */
export interface InputFrame {
  /** Horizontal stick, [-1, 1]. */
  moveX: number;
  /** Vertical stick, [-1, 1] (positive is down). */
  moveY: number;
  /** Aim angle, radians. */
  aim: number;
  fire: boolean;
}

/**
 * Where a shooter saw a target when it fired (lag compensation). Read the
 * answer at once: a server may hand back the same object every call.
 */
export type SeenPosition = (targetId: string, target: PlayerState) => { x: number; y: number };

/**
 * The view of a shooter: where it saw the others when it sent the frame
 * being simulated. Asked only for a frame that fires, and used only for that
 * frame's shot.
 */
export type SeenBy = (shooterId: string) => SeenPosition;

export interface ShotEvent {
  type: "shot";
  shooter: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** The player hit, or null for a miss. */
  target: string | null;
}

export interface KillEvent {
  type: "kill";
  killer: string;
  victim: string;
}

export interface ScoreLine {
  id: string;
  name: string;
  score: number;
}

export interface RoundEndEvent {
  type: "round_end";
  round: number;
  scoreboard: ScoreLine[];
}

export interface RoundStartEvent {
  type: "round_start";
  round: number;
}

export interface PickupEvent {
  type: "pickup";
  player: string;
  index: number;
}

export type SimEvent = ShotEvent | KillEvent | RoundEndEvent | RoundStartEvent | PickupEvent;
