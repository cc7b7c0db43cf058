import { schema, t } from "@colyseus/schema";

/**
 * The state every client receives, delta-encoded by @colyseus/schema. Field
 * names are the wire contract (README, "Wire protocol"). Field types are
 * chosen for bytes (see the benchmark): positions are float32, exact because
 * the simulation keeps them on a 1/32 px grid; the aim is a 16-bit angle;
 * small counters are small integers. `.noSync()` fields are the server's own
 * bookkeeping and never leave it.
 */
export const Player = schema({
  name: t.string().default(""),
  x: t.float32().default(0),
  y: t.float32().default(0),
  aim: t.angle(),
  hp: t.uint8().default(0),
  score: t.uint16().default(0),
  alive: t.boolean().default(false),
  connected: t.boolean().default(true),
  shielded: t.boolean().default(false),
  fireCooldownS: t.number().noSync().default(0),
  respawnS: t.number().noSync().default(0),
  shieldS: t.number().noSync().default(0),
}, "Player");
export type Player = InstanceType<typeof Player>;

export const Pickup = schema({
  x: t.float32().default(0),
  y: t.float32().default(0),
  active: t.boolean().default(true),
  respawnS: t.number().noSync().default(0),
}, "Pickup");
export type Pickup = InstanceType<typeof Pickup>;

export const ArenaState = schema({
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
}, "ArenaState");
export type ArenaState = InstanceType<typeof ArenaState>;
