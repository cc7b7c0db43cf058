import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { GAME_MODES, type GameMode } from "@arena/shared";
import proxyaddr from "proxy-addr";

/**
 * Deployment settings, read once from the environment at start. Every
 * variable, its default and its meaning is listed in the README
 * ("Configuration"). An invalid value stops the server with a message naming
 * the variable.
 */
export interface Settings {
  readonly port: number;
  readonly host: string;
  /** Port of the listener serving /metrics and /monitor (0: a free one). */
  readonly metricsPort: number;
  /** Interface of that listener: loopback unless the monitoring network needs more. */
  readonly metricsHost: string;
  readonly redisUrl: string | undefined;
  readonly publicAddress: string | undefined;
  readonly reconnectGraceSeconds: number;
  /** Room capacity per mode. */
  readonly capacity: Readonly<Record<GameMode, number>>;
  readonly shutdownDeadlineSeconds: number;
  /**
   * How often each match writes its snapshot to Redis (ms), so another
   * process can take it over if this one dies or drains; 0 turns match
   * migration off. Unused without Redis.
   */
  readonly matchSnapshotMs: number;
  /** How far back a shot is tested against what the shooter saw; 0 turns lag compensation off. */
  readonly rewindWindowMs: number;
  readonly maxMessagesPerSecond: number;
  /** Spectators a room takes beside its players (MAX_SPECTATORS; 0: none). */
  readonly maxSpectators: number;
  /** Largest WebSocket frame a client may send. */
  readonly maxPayloadBytes: number;
  /** Bytes queued for a client that does not read, past which its socket is cut. */
  readonly maxSendBacklogBytes: number;
  /** Addresses (or `loopback`, CIDRs) of reverse proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** Origins of web pages allowed to connect besides the server's own ("*": any). */
  readonly allowedOrigins: readonly string[];
  readonly rateLimits: RateLimitSettings;
  /** HTTP and upgrade guards of the game port. */
  readonly http: HttpSettings;
  /** Colyseus's monitor panel at /monitor (MONITOR), behind MONITOR_PASSWORD. */
  readonly monitor: { readonly enabled: boolean; readonly password: string | undefined };
  readonly logLevel: string;
  readonly production: boolean;
  /** Test-only socket messages (fault injection). Refused in production. */
  readonly testHooks: boolean;
  /** Where finished matches' replays are kept (REPLAY_DIR); undefined: matches are not recorded (`off`). */
  readonly replays: ReplaySettings | undefined;
  /** Test-only (with testHooks): every round lasts this long, s, whatever the mode says (tests that need a round change). */
  readonly testRoundSeconds: number | undefined;
}

/** The replay store's directory and retention (server/src/replays/FileReplayStore.ts). */
export interface ReplaySettings {
  /** Absolute path; processes on one machine (or on a shared volume) that name the same one share their replays. */
  readonly dir: string;
  /** Replays kept: past this many, the oldest go. */
  readonly keep: number;
  /** Replays older than this go. */
  readonly maxAgeHours: number;
  /**
   * The directory must be this user's own (DEFAULT_REPLAY_DIR, in the shared
   * temp directory): not a symbolic link, owned by this user, writable by no
   * one else. A REPLAY_DIR set by hand is the operator's choice (a volume
   * shared by several machines' servers, say) and is not held to it.
   */
  readonly own?: boolean;
}

/** REPLAY_KEEP's largest value: a replay directory never holds more replays than this for long. */
export const REPLAY_KEEP_MAX = 10_000;

/** REPLAY_DIR's default: every process on one machine records into, and answers from, the same place. */
export const DEFAULT_REPLAY_DIR = join(tmpdir(), "arena-replays");

/** Per client address. Raised for load tests through these settings, never in code. */
export interface RateLimitSettings {
  /** Rooms created (quick play that creates, private rooms). */
  readonly createsPerMinute: number;
  /** Matchmaking requests: joins, quick play, seats by code, reconnections. */
  readonly joinsPerMinute: number;
  /** Join code lookups, successful or not. */
  readonly codeLookupsPerMinute: number;
  /** Failed join code lookups and failed joins by room id. */
  readonly failedJoinsPerHour: number;
  /** WebSocket connections opened (joins and reconnections each open one). */
  readonly connectionsPerMinute: number;
}

/** Guards of the game port's HTTP side. */
export interface HttpSettings {
  /** WebSocket sockets one client address may hold open at once, on this process. */
  readonly maxSocketsPerAddress: number;
  /** A /matchmake or /api request body must have arrived whole within this, or gets 408. */
  readonly requestBodyTimeoutMs: number;
  /** Longest a quick-play request waits for its turn, and holds it. */
  readonly quickPlayTurnTimeoutMs: number;
  /** Node's headersTimeout and requestTimeout: any request's headers and body must arrive within this. */
  readonly requestTimeoutMs: number;
}

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

const capacityVars = Object.fromEntries(Object.keys(GAME_MODES).map((mode) => [`ROOM_CAPACITY_${mode.toUpperCase()}`, integer(1, 256).optional()]));

const schema = z.object({
  PORT: integer(0, 65535).default(2567),
  HOST: z.string().min(1).default("0.0.0.0"),
  METRICS_PORT: integer(0, 65535).default(9567),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  PUBLIC_ADDRESS: z
    .string()
    .regex(/^[^\s/:]+(:(\d+|\{port\}))?(\/\S*)?$/, "host[:port][/path], without a scheme")
    .optional(),
  NODE_APP_INSTANCE: integer(0, 1000).optional(),
  TRUSTED_PROXIES: z.string().optional(),
  ALLOWED_ORIGINS: z
    .string()
    .regex(/^(\*|https?:\/\/[^\s,/]+)(,\s*(\*|https?:\/\/[^\s,/]+))*$/, "comma-separated origins like https://game.example.com, or *")
    .optional(),
  RECONNECT_GRACE_SECONDS: integer(0, 3600).default(20),
  ROOM_CAPACITY: integer(1, 256).optional(),
  ...capacityVars,
  SHUTDOWN_DEADLINE_SECONDS: integer(0, 3600).default(30),
  MATCH_SNAPSHOT_MS: integer(0, 60_000)
    .refine((ms) => ms === 0 || ms >= 100, "0 (off) or 100 to 60000")
    .default(1000),
  REWIND_WINDOW_MS: integer(0, 1000).default(300),
  MAX_MESSAGES_PER_SECOND: integer(1, 10000).default(120),
  MAX_SPECTATORS: integer(0, 1000).default(32),
  MAX_PAYLOAD_BYTES: integer(256, 1048576).default(4096),
  MAX_SEND_BACKLOG_BYTES: integer(16384, 1073741824).default(1048576),
  RATE_CREATES_PER_MINUTE: integer(1, 1_000_000).default(10),
  RATE_JOINS_PER_MINUTE: integer(1, 1_000_000).default(60),
  RATE_CODE_LOOKUPS_PER_MINUTE: integer(1, 1_000_000).default(20),
  RATE_FAILED_JOINS_PER_HOUR: integer(1, 1_000_000).default(30),
  RATE_CONNECTIONS_PER_MINUTE: integer(1, 1_000_000).default(120),
  MAX_SOCKETS_PER_ADDRESS: integer(1, 1_000_000).default(500),
  REQUEST_BODY_TIMEOUT_MS: integer(100, 600_000).default(5000),
  QUICK_PLAY_TURN_TIMEOUT_MS: integer(100, 600_000).default(5000),
  REQUEST_TIMEOUT_MS: integer(1000, 600_000).default(10_000),
  MONITOR: flag.default(false),
  MONITOR_PASSWORD: z.string().min(12, "at least 12 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ENV: z.string().default("development"),
  ENABLE_TEST_HOOKS: flag.default(false),
  REPLAY_DIR: z
    .string()
    .refine((dir) => dir === "off" || !/[\0\n\r]/.test(dir), "a directory path, or off")
    .default(DEFAULT_REPLAY_DIR),
  // Bounded so that a listing (which reads every kept replay's meta once) stays small: about 300 bytes each.
  REPLAY_KEEP: integer(1, REPLAY_KEEP_MAX).default(500),
  REPLAY_MAX_AGE_HOURS: integer(1, 24 * 365 * 10).default(168),
  TEST_ROUND_SECONDS: integer(1, 3600).optional(),
});

export class ConfigError extends Error {}

/** Parses the environment into frozen settings, or throws a ConfigError naming each bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  // An empty variable counts as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const v = parsed.data as z.infer<typeof schema> & Record<string, number | undefined>;
  const production = v.NODE_ENV === "production";
  if (production && v.ENABLE_TEST_HOOKS) {
    throw new ConfigError("Invalid configuration:\n  ENABLE_TEST_HOOKS: test hooks cannot be enabled when NODE_ENV=production");
  }
  if (v.TEST_ROUND_SECONDS !== undefined && !v.ENABLE_TEST_HOOKS) {
    throw new ConfigError("Invalid configuration:\n  TEST_ROUND_SECONDS: test-only, needs ENABLE_TEST_HOOKS=1");
  }
  const capacity = Object.fromEntries(
    (Object.keys(GAME_MODES) as GameMode[]).map((mode) => [
      mode,
      v[`ROOM_CAPACITY_${mode.toUpperCase()}`] ?? v.ROOM_CAPACITY ?? GAME_MODES[mode].defaultCapacity,
    ]),
  ) as Record<GameMode, number>;
  if (production && v.MONITOR && v.MONITOR_PASSWORD === undefined) {
    throw new ConfigError("Invalid configuration:\n  MONITOR_PASSWORD: required when MONITOR=1 and NODE_ENV=production (the panel can close rooms)");
  }
  const trustedProxies = (v.TRUSTED_PROXIES ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(trustedProxies); // as http/clientAddress.ts will: a list it would throw on is refused at start
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  // Under PM2 each instance gets its own port, as @colyseus/tools does it.
  const instance = v.NODE_APP_INSTANCE ?? 0;
  const port = v.PORT === 0 ? 0 : v.PORT + instance;
  const metricsPort = v.METRICS_PORT === 0 ? 0 : v.METRICS_PORT + instance;
  return Object.freeze({
    port,
    host: v.HOST,
    metricsPort,
    metricsHost: v.METRICS_HOST,
    redisUrl: v.REDIS_URL,
    publicAddress: v.PUBLIC_ADDRESS?.replaceAll("{port}", String(port)).replaceAll("{instance}", String(instance)),
    reconnectGraceSeconds: v.RECONNECT_GRACE_SECONDS,
    capacity: Object.freeze(capacity),
    shutdownDeadlineSeconds: v.SHUTDOWN_DEADLINE_SECONDS,
    matchSnapshotMs: v.MATCH_SNAPSHOT_MS,
    rewindWindowMs: v.REWIND_WINDOW_MS,
    maxMessagesPerSecond: v.MAX_MESSAGES_PER_SECOND,
    maxSpectators: v.MAX_SPECTATORS,
    maxPayloadBytes: v.MAX_PAYLOAD_BYTES,
    maxSendBacklogBytes: v.MAX_SEND_BACKLOG_BYTES,
    trustedProxies: Object.freeze(trustedProxies),
    // In development the client's dev server (npm run dev, port 5173) is allowed too.
    allowedOrigins: Object.freeze([
      ...(v.ALLOWED_ORIGINS ?? "")
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
      ...(production ? [] : ["http://localhost:5173", "http://127.0.0.1:5173"]),
    ]),
    rateLimits: Object.freeze({
      createsPerMinute: v.RATE_CREATES_PER_MINUTE,
      joinsPerMinute: v.RATE_JOINS_PER_MINUTE,
      codeLookupsPerMinute: v.RATE_CODE_LOOKUPS_PER_MINUTE,
      failedJoinsPerHour: v.RATE_FAILED_JOINS_PER_HOUR,
      connectionsPerMinute: v.RATE_CONNECTIONS_PER_MINUTE,
    }),
    http: Object.freeze({
      maxSocketsPerAddress: v.MAX_SOCKETS_PER_ADDRESS,
      requestBodyTimeoutMs: v.REQUEST_BODY_TIMEOUT_MS,
      quickPlayTurnTimeoutMs: v.QUICK_PLAY_TURN_TIMEOUT_MS,
      requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    }),
    monitor: Object.freeze({ enabled: v.MONITOR, password: v.MONITOR_PASSWORD }),
    logLevel: v.LOG_LEVEL,
    production,
    testHooks: v.ENABLE_TEST_HOOKS,
    replays:
      v.REPLAY_DIR === "off"
        ? undefined
        : Object.freeze({
            dir: resolve(v.REPLAY_DIR), // a relative path is from the working directory at start
            keep: v.REPLAY_KEEP,
            maxAgeHours: v.REPLAY_MAX_AGE_HOURS,
            own: resolve(v.REPLAY_DIR) === DEFAULT_REPLAY_DIR,
          }),
    testRoundSeconds: v.TEST_ROUND_SECONDS,
  });
}
