/**
 * Gameplay tuning and simulation rates, shared by the server tick and the
 * client predictor. Deployment settings (ports, Redis, grace windows) are not
 * here: they come from the environment (see server/src/config.ts).
 */

/** Fixed simulation rate. One input frame is one step of one player's movement. */
export const TICK_RATE_HZ = 30;
/** Duration of one fixed step, the `dt` both sides pass to the step functions. */
export const STEP_SECONDS = 1 / TICK_RATE_HZ;

/**
 * Patch interval, chosen by measurement (`npm run bench:sim`, "Patch rate"): with
 * 16 players moving, every patch carries nearly every player's position, so
 * bytes grow with the patch rate. 20 Hz costs 0.67 of 30 Hz (about 2.9 KB/s
 * per client against 4.3) and lets remote players be interpolated 100 ms
 * behind, two patches of buffer so one late patch never shows as a stall.
 * 15 Hz saves a further quarter but needs 133 ms of delay for the same
 * buffer, which lag compensation and players both feel.
 */
export const PATCH_INTERVAL_MS = 50;

/** Arena size, px. Must stay within POSITION_RANGE_PX. */
export const ARENA_WIDTH_PX = 1600;
export const ARENA_HEIGHT_PX = 1200;

/**
 * Positions travel as 16-bit fixed point over [0, POSITION_RANGE_PX]
 * (`t.quantized`): 65535 steps of 1/32 px, 2 bytes instead of a float's 4.
 * The simulation snaps every position to that grid (sim/quantize.ts).
 */
export const POSITION_RANGE_PX = 65535 / 32;

export const PLAYER_RADIUS_PX = 16;
/** Top speed; a diagonal input is normalised so it is never faster. */
export const PLAYER_SPEED_PX_PER_S = 220;

export const MAX_HP = 100;
export const WEAPON_DAMAGE_HP = 25;
/** Time between two shots, counted in the shooter's own input steps. */
export const FIRE_COOLDOWN_S = 0.25;
export const WEAPON_RANGE_PX = 900;

export const RESPAWN_DELAY_S = 3;
export const SPAWN_PROTECTION_S = 1.5;

export const PICKUP_RADIUS_PX = 14;
export const PICKUP_HEAL_HP = 40;
export const PICKUP_RESPAWN_S = 12;

/** Scoreboard pause between two rounds. */
export const INTERMISSION_S = 8;

/** Longest accepted player name, in characters. */
export const NAME_MAX_CHARS = 16;
