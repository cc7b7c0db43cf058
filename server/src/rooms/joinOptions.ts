import { z } from "zod";
import { ArenaError } from "../ArenaError.ts";
import {
  DEFAULT_MODE,
  ErrorCode,
  GAME_MODES,
  PROTOCOL_VERSION,
  isGameMode,
  normaliseName,
  type ErrorCode as ErrorCodeName,
  type GameMode,
  type JoinOptions,
} from "@arena/shared";

/** A client's join options (shared `JoinOptions`, described once there), checked and normalised. */
export type ValidJoinOptions = Required<Omit<JoinOptions, "mode">> & { mode: GameMode };

/** Exactly the keys of `JoinOptions`; their values are checked one by one below. */
const shape = z
  .object({
    name: z.unknown().optional(),
    mode: z.unknown().optional(),
    protocol: z.unknown().optional(),
    spectate: z.unknown().optional(),
  } satisfies Record<keyof JoinOptions, unknown>)
  .strict();

function refuse(code: ErrorCodeName, detail?: string): never {
  throw new ArenaError(code, detail);
}

/**
 * Checks a client's join options and returns them normalised (trimmed name,
 * default mode). Anything else is refused with the project's error code:
 * unknown keys included, so a client cannot pass what only the server decides
 * (capacity, privacy).
 */
export function validateJoinOptions(options: unknown): ValidJoinOptions {
  const parsed = shape.safeParse(options ?? {});
  if (!parsed.success) {
    const unknownKeys = parsed.error.issues.flatMap((i) => (i.code === "unrecognized_keys" ? i.keys : []));
    refuse("bad_options", unknownKeys.length > 0 ? `Unknown join option: ${unknownKeys.join(", ")}. Allowed: name, mode, protocol, spectate.` : undefined);
  }
  const { name, mode = DEFAULT_MODE, protocol, spectate = false } = parsed.data;
  if (protocol !== PROTOCOL_VERSION) {
    refuse("client_outdated", `${ErrorCode.client_outdated.message} (server protocol ${PROTOCOL_VERSION}, client ${JSON.stringify(protocol ?? null)})`);
  }
  if (!isGameMode(mode)) {
    refuse("unknown_mode", `Unknown game mode ${JSON.stringify(String(mode).slice(0, 32))}. Modes: ${Object.keys(GAME_MODES).join(", ")}.`);
  }
  const clean = normaliseName(name);
  if (clean === null) refuse("bad_name");
  if (typeof spectate !== "boolean") refuse("bad_options", "spectate must be true or false.");
  return { name: clean, mode, protocol, spectate };
}
