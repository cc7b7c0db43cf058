/**
 * Game modes. A mode is a set of rules on the shared simulation; the server
 * decides each mode's room capacity (ROOM_CAPACITY, ROOM_CAPACITY_<MODE>),
 * never the client. Adding a mode: add an entry here, then handle any new rule
 * in sim/ (README, "Adding a game mode").
 */
export interface ModeRules {
  /** Shown in menus and listings. */
  readonly label: string;
  /** Length of one round. */
  readonly roundSeconds: number;
  /** Capacity when the server has no setting for this mode. */
  readonly defaultCapacity: number;
}

export const GAME_MODES = {
  ffa: { label: "Free for all", roundSeconds: 180, defaultCapacity: 16 },
  duel: { label: "Duel", roundSeconds: 120, defaultCapacity: 2 },
} as const satisfies Record<string, ModeRules>;

export type GameMode = keyof typeof GAME_MODES;
export const DEFAULT_MODE: GameMode = "ffa";

export function isGameMode(value: unknown): value is GameMode {
  return typeof value === "string" && Object.hasOwn(GAME_MODES, value);
}
