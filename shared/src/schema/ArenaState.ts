import { schema, t } from "@colyseus/schema";
import { POSITION_RANGE_PX } from "../constants.ts";

/** A coordinate, px: 16-bit fixed point, 1/32 px steps (see sim/quantize.ts). */
const position = () => t.quantized({ min: 0, max: POSITION_RANGE_PX, bits: 16 });

/**
 * The state every client receives, delta-encoded by @colyseus/schema. Field
 * names are the wire contract (README, "Wire protocol"). Field types are
 * chosen for bytes (`npm run bench:sim`): positions are 16-bit fixed point on a
 * 1/32 px grid and the aim a 16-bit angle, both lossless because the
 * simulation snaps to the same grids (sim/quantize.ts); small counters are
 * small integers. `.noSync()` fields are the server's own
 * bookkeeping and never leave it.
 */
export const Player = schema(
  {
    name: t.string().default(""),
    x: position(),
    y: position(),
    aim: t.angle(),
    hp: t.uint8().default(0),
    score: t.uint16().default(0),
    alive: t.boolean().default(false),
    connected: t.boolean().default(true),
    shielded: t.boolean().default(false),
    /** How this player's input frames meet the ticks (net/inputLead.ts); the client's send clock leans by it. */
    inputLead: t.int8().default(0),
    fireCooldownS: t.number().noSync().default(0),
    respawnS: t.number().noSync().default(0),
    shieldS: t.number().noSync().default(0),
  },
  "Player",
);
export type Player = InstanceType<typeof Player>;

export const Pickup = schema(
  {
    x: position(),
    y: position(),
    active: t.boolean().default(true),
    respawnS: t.number().noSync().default(0),
  },
  "Pickup",
);
export type Pickup = InstanceType<typeof Pickup>;

/**
 * Events of one patch interval. The simulation's shots, kills and pickups
 * ride in the state (ArenaState's event lists, cleared after every patch), so
 * a client gets a patch and the events up to it in one WebSocket frame.
 * Players are named by session id; an empty `target` is a miss.
 */
export const Shot = schema(
  {
    shooter: t.string().default(""),
    x1: position(),
    y1: position(),
    x2: position(),
    y2: position(),
    target: t.string().default(""),
  },
  "Shot",
);
export type Shot = InstanceType<typeof Shot>;

export const Kill = schema(
  {
    killer: t.string().default(""),
    victim: t.string().default(""),
  },
  "Kill",
);
export type Kill = InstanceType<typeof Kill>;

export const PickupTaken = schema(
  {
    player: t.string().default(""),
    index: t.uint8().default(0),
  },
  "PickupTaken",
);
export type PickupTaken = InstanceType<typeof PickupTaken>;

export const ArenaState = schema(
  {
    /** Keyed by session id. */
    players: t.map(Player),
    pickups: t.array(Pickup),
    mode: t.string().default("ffa"),
    /** "playing" or "intermission". */
    phase: t.string().default("playing"),
    round: t.uint16().default(1),
    phaseSecondsLeft: t.uint16().default(0),
    phaseTimeS: t.number().noSync().default(0),
    roundLengthS: t.number().noSync().default(0),
    rngState: t.number().noSync().default(0),
    /** This patch interval's events, in the order they happened within each list (see patchEvents.ts). */
    shots: t.array(Shot),
    kills: t.array(Kill),
    pickupsTaken: t.array(PickupTaken),
  },
  "ArenaState",
);
export type ArenaState = InstanceType<typeof ArenaState>;
