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
 * Patch interval. Chosen by measurement (`npm run bench -w server`, "patch
 * rate" table): at 30 Hz a patch carries one step of movement, at 20 Hz one or
 * two, at 15 Hz two. With 16 moving players, 20 Hz costs about 70% of the
 * bytes per second of 30 Hz (the per-patch header and entry selectors are paid
 * fewer times) while remote players stay smooth under a 100 ms interpolation
 * delay (two patches of buffer). 15 Hz saves little more and leaves only one
 * patch of slack in that buffer, so a single late patch shows as a stall.
 */
export const PATCH_INTERVAL_MS = 50;

/** Arena size, px. Positions stay below 2048 px so a float32 holds them exactly. */
export const ARENA_WIDTH_PX = 1600;
export const ARENA_HEIGHT_PX = 1200;

/**
 * Positions are snapped to a 1/32 px grid after every step. Values on that grid
 * below 2048 px are exact in a float32, so the wire carries them without loss
 * and the client's prediction lands bit-for-bit on the server's result.
 */
export const POSITION_GRID_PER_PX = 32;

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
