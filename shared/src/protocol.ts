/**
 * The wire contract between the server and every client (the Phaser client,
 * bots, other SDKs): protocol version, join options, messages, error codes
 * and close codes. Documented in the README, "Wire protocol".
 */
import { NAME_MAX_CHARS } from "./constants.ts";
import type { ArenaState } from "./schema/ArenaState.ts";
import type { ScoreLine } from "./sim/types.ts";
import { TELEMETRY_INTERVAL_MS, type TelemetryReport } from "./telemetry.ts";

/**
 * Bumped whenever the state schema, the input frame or a message changes in a
 * way an older client would misread. Sent in the join options; a mismatch is
 * refused with `client_outdated`.
 */
export const PROTOCOL_VERSION = 4;

export const ROOM_NAME = "arena";

/**
 * What a client passes to `joinOrCreate("arena", options)` and friends: the
 * only keys accepted (README, "Join options"). The server checks them
 * (server/src/rooms/joinOptions.ts) and refuses anything else.
 */
export interface JoinOptions {
  /** Display name: 1 to 16 printable characters (`normaliseName`). */
  name: string;
  /** Game mode (a key of GAME_MODES), default "ffa". */
  mode?: string;
  /** Must equal PROTOCOL_VERSION. */
  protocol: number;
  /**
   * Join as a spectator (`joinById` or a private room's code only, never quick
   * play): no player in `players`, no player seat, no input frames, no chat;
   * the state and events like anyone. Counted apart (`spectators`), up to
   * MAX_SPECTATORS a room.
   */
  spectate?: boolean;
}

/** Whether join options ask to watch (JoinOptions.spectate). */
export function isSpectating(options: unknown): boolean {
  return typeof options === "object" && options !== null && (options as { spectate?: unknown }).spectate === true;
}

/**
 * Errors a client can receive, each with its HTTP status (matchmaking) and a
 * sentence a player can read. Over HTTP the body is
 * `{ "code": <status>, "error": "<code>: <sentence>" }` (Colyseus's format);
 * over the socket the server sends an `error` message `{ code, message }`.
 */
export const ErrorCode = {
  bad_options: { status: 400, message: "The join options are malformed." },
  bad_name: { status: 400, message: `A name must be 1 to ${NAME_MAX_CHARS} printable characters.` },
  unknown_mode: { status: 400, message: "That game mode does not exist." },
  client_outdated: { status: 426, message: "Your game client is out of date. Reload the page to update it." },
  unknown_message: { status: 400, message: "The server does not know that message type; it was ignored." },
  bad_request: { status: 400, message: "The request body is not valid JSON." },
  unsupported_media_type: { status: 415, message: "Send the request body as application/json." },
  payload_too_large: { status: 413, message: "The request body is too large." },
  unknown_code: { status: 404, message: "No room has that code. Check it with your friend." },
  room_full: { status: 409, message: "That room is full." },
  spectators_full: { status: 409, message: "Too many people are watching that match. Try again later." },
  spectator_chat: { status: 403, message: "Spectators cannot chat in the match." },
  unknown_replay: { status: 404, message: "There is no replay with that id (it may have been deleted)." },
  replays_off: { status: 404, message: "This server does not keep replays (REPLAY_DIR is off)." },
  corrupt_replay: { status: 500, message: "That replay's file is damaged and cannot be played." },
  replays_busy: { status: 503, message: "The server is busy checking other replays. Try again in a moment." },
  unknown_room: { status: 404, message: "That room does not exist (any more)." },
  rate_limited: { status: 429, message: "Too many requests. Wait a little and try again." },
  too_many_connections: { status: 429, message: "Too many open connections from your address. Close another game tab and try again." },
  request_timeout: { status: 408, message: "The request took too long to arrive. Try again." },
  matchmaking_unavailable: { status: 503, message: "Matchmaking is unavailable right now. Try again in a few seconds." },
  server_draining: { status: 503, message: "This server is restarting. Try again to be sent to another one." },
  match_migrating: { status: 503, message: "Your match is moving to another server. Try again in a moment." },
  not_found: { status: 404, message: "There is no such API route." },
  origin_not_allowed: { status: 403, message: "This server does not accept connections from that web page." },
  bad_message: { status: 400, message: "That message was malformed; it was ignored." },
  chat_too_long: { status: 400, message: "Chat messages are at most 200 characters." },
  chat_rate_limited: { status: 429, message: "You are sending chat messages too fast. Wait a few seconds." },
  telemetry_rate_limited: {
    status: 429,
    message: `Telemetry reports come one every ${TELEMETRY_INTERVAL_MS / 1000} seconds; that one came too soon and was not counted.`,
  },
  internal: { status: 500, message: "The server failed to handle that request." },
} as const;
export type ErrorCode = keyof typeof ErrorCode;

/**
 * Colyseus answers its own matchmaking errors with its error code as the
 * HTTP status (core/src/router/default_routes.ts): 520 no such room type or
 * method, 521 no room matches, 522 no such room or locked, 524 reconnection
 * token invalid or expired, 525 refused by onAuth. Those are the client's
 * doing, so the server sends them as the 4xx they mean (the body keeps
 * Colyseus's code); 523 (an exception in a room's handler) stays a server
 * error. Clients map the status back where they need Colyseus's code.
 */
export const COLYSEUS_STATUS: Readonly<Record<number, number>> = { 520: 404, 521: 404, 522: 404, 524: 410, 525: 403 };

/** Formats an error for the `error` field of an HTTP answer. */
export function errorText(code: ErrorCode, detail?: string): string {
  return `${code}: ${detail ?? ErrorCode[code].message}`;
}

/** Reads the project's error code back out of an error text, if it has one. */
export function parseErrorCode(text: string): ErrorCode | null {
  const code = /^([a-z_]+):/.exec(text)?.[1];
  return code !== undefined && Object.hasOwn(ErrorCode, code) ? (code as ErrorCode) : null;
}

/**
 * WebSocket close codes of this project (4100-4199; Colyseus uses 4000-4099).
 * The client decides from the code what to tell the player.
 */
export const CloseCode = {
  /** The server is shutting down: find another room (no reconnection). */
  SERVER_DRAINING: 4100,
  /** The room's simulation failed and the room was closed: find another room. */
  ROOM_FAULT: 4101,
  /** The client sent messages far above the allowed rate; its seat is not held. */
  FLOODING: 4102,
  /**
   * The client sent a frame this room does not accept (an opcode outside the
   * room type's allow-list, or a body its decoder would not survive); its
   * seat is not held.
   */
  PROTOCOL_VIOLATION: 4103,
  /** A spectator's match ended: its last player left. */
  MATCH_OVER: 4104,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Close codes after which a client rejoins with its reconnection token
 * (`client.reconnect`): the connection dropped (1001, 1005, 1006), or the
 * server asks it to (Colyseus's 4010, MAY_TRY_RECONNECT: a match handed
 * over to another process on a deploy). Any other code ends the session.
 */
export const REJOIN_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 4010]);

export const CloseReason: Record<CloseCode, string> = {
  [CloseCode.SERVER_DRAINING]: "The server is restarting. Find another room.",
  [CloseCode.ROOM_FAULT]: "This match stopped after a server error. Find another room.",
  [CloseCode.FLOODING]: "You were disconnected for sending too many messages.",
  [CloseCode.PROTOCOL_VIOLATION]: "You were disconnected for sending data this server does not accept. Reload the page to update the game.",
  [CloseCode.MATCH_OVER]: "The match is over: every player has left.",
};

/**
 * Private room join codes: short, case-insensitive, from an alphabet without
 * look-alike characters (no 0/O, 1/I/L). 31^6 is about 8.9e8 codes, and
 * lookups are rate-limited per address, so a code cannot be found by guessing.
 */
export const JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const JOIN_CODE_LENGTH = 6;

/** Upper-cases and strips spaces and dashes; null if it cannot be a join code. */
export function normaliseJoinCode(input: unknown): string | null {
  if (typeof input !== "string" || input.length > 32) return null;
  const code = input.replace(/[\s-]/g, "").toUpperCase();
  if (code.length !== JOIN_CODE_LENGTH) return null;
  for (const ch of code) if (!JOIN_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/**
 * A public room as a listing shows it: the HTTP API's `GET /api/rooms`, and
 * the lobby's live list once the client has read Colyseus's entries.
 */
export interface RoomListing {
  roomId: string;
  /** Game mode (a key of GAME_MODES). */
  mode: string;
  /** Players seated (spectators are not players). */
  players: number;
  capacity: number;
  /** People watching (spectators), not counted in `players` or against `capacity`. */
  spectators: number;
  /** Full or draining: not joinable now. */
  locked: boolean;
  /** The process hosting it (the HTTP API gives it; the lobby's list may not). */
  processId?: string;
}

/**
 * What an arena room keeps in its Colyseus listing's `metadata` besides the
 * mode Colyseus copies there: its player capacity and how many watch.
 * Colyseus counts every client in a listing's `clients` and `maxClients`,
 * spectators included, so a listing's players are `clients - spectators`
 * and its player capacity is `capacity`, not `maxClients`
 * (server/src/rooms/Spectators.ts).
 */
export interface ArenaListingMetadata {
  mode: string;
  capacity: number;
  spectators: number;
  /** The room's spectator seats (MAX_SPECTATORS where it runs). */
  maxSpectators: number;
}

/** A Colyseus listing row as the HTTP API and the lobby both get it. */
export interface ListingRow {
  roomId: string;
  clients: number;
  maxClients: number;
  locked?: boolean;
  processId?: string;
  metadata?: unknown;
}

/** A count from a listing's metadata (ArenaListingMetadata), if it holds a sound one. */
export function countIn(metadata: unknown, key: "capacity" | "spectators" | "maxSpectators"): number | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const value = (metadata as Record<string, unknown>)[key];
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A listing row read into a RoomListing: spectators out of the player count
 * and the capacity (ArenaListingMetadata). A row without the metadata (a
 * room of an older server) reads as all players.
 */
export function readListing(row: ListingRow, defaultMode: string): RoomListing {
  const metadata = row.metadata as Partial<ArenaListingMetadata> | undefined;
  const spectators = Math.min(row.clients, countIn(metadata, "spectators") ?? 0);
  const capacity = countIn(metadata, "capacity") ?? row.maxClients;
  const players = row.clients - spectators;
  return {
    roomId: row.roomId,
    mode: typeof metadata?.mode === "string" ? metadata.mode : defaultMode,
    players,
    capacity,
    spectators,
    locked: row.locked === true || players >= capacity,
    processId: row.processId,
  };
}

/** Longest chat message, in characters. */
export const CHAT_MAX_CHARS = 200;

/**
 * Messages from the server. Shots, kills and pickups are not messages: they
 * ride in the state patch (ArenaState's event lists, schema/patchEvents.ts).
 */
export interface ServerMessages {
  /** Sent on join: what the client needs to pace itself. */
  welcome: { protocol: number; reconnectGraceSeconds: number; patchIntervalMs: number; tickRate: number; spectator: boolean };
  chat: { from: string; name: string; text: string };
  round_end: { round: number; scoreboard: ScoreLine[] };
  round_start: { round: number };
  error: { code: ErrorCode; message: string };
  /** Test hook's answer (ENABLE_TEST_HOOKS only): how long each of this client's input frames waited in the server's buffer, ms. */
  "__test:inputWaits": { waitsMs: number[] };
}

/** Messages to the server (besides input frames). */
export interface ClientMessages {
  chat: { text: string };
  /** The client's netcode figures, one report every TELEMETRY_INTERVAL_MS (shared/src/telemetry.ts). */
  telemetry: TelemetryReport;
}

/**
 * Test-only messages to the server, answered only when it runs with
 * ENABLE_TEST_HOOKS (refused in production; server/src/rooms/testHooks.ts).
 */
export interface TestHookMessages {
  "__test:drop": undefined;
  "__test:place": { x: number; y: number };
  "__test:fault": undefined;
  "__test:blast": { bytes?: number; count?: number; everyMs?: number };
  "__test:inputWaits": undefined;
}

/**
 * The arena room as its clients see it, in the shape the SDK reads its
 * types from (`Room<ArenaRoomType>`): the state, the messages a client
 * sends, the messages it receives. The server's room is typed from the same
 * two maps (`ArenaClient`), so neither side imports the other's types.
 */
export interface ArenaRoomType {
  state: ArenaState;
  "~state": ArenaState;
  onJoin?: (client: unknown, options: JoinOptions) => void;
  messages: { [K in keyof (ClientMessages & TestHookMessages)]: (client: unknown, message: (ClientMessages & TestHookMessages)[K]) => void };
  "~client": { "~messages": ServerMessages };
}

/** Characters that render as nothing in common fonts (Hangul fillers, the blank Braille pattern). */
const BLANK_CHARS = /[\u115F\u1160\u3164\uFFA0\u2800]/u;
/** Three or more combining marks in a row pile up over the text around them ("Zalgo"). */
const MARK_STACK = /\p{M}{3,}/u;
/** Separators other than the plain space: line and paragraph separators, wide and odd-width spaces. */
const ODD_SPACE = /(?! )\p{Z}/u;
/** Something a player can see: a letter, digit, punctuation or symbol. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * Returns the name as the server will store it (trimmed, NFC), or null when
 * it is not 1 to 16 printable characters, or would render blank or break the
 * layout of the scoreboard: control and format characters, characters that
 * draw nothing, stacks of combining marks, separators other than the plain
 * space, or no visible character at all.
 */
export function normaliseName(name: unknown): string | null {
  if (typeof name !== "string" || name.length > NAME_MAX_CHARS * 8) return null;
  const trimmed = name.normalize("NFC").trim();
  const length = [...trimmed].length;
  if (length < 1 || length > NAME_MAX_CHARS) return null;
  if (/\p{C}/u.test(trimmed) || BLANK_CHARS.test(trimmed) || MARK_STACK.test(trimmed) || ODD_SPACE.test(trimmed)) return null;
  return VISIBLE.test(trimmed) ? trimmed : null;
}
