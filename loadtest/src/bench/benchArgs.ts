import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { LINK_PROFILES, isLinkProfileName, type LinkProfileName } from "@arena/testkit";
import { parseVariants, type RuntimeVariant } from "./runtimeVariants.ts";

/** The benchmark's scenarios, by the name `--scenario` takes. */
export const SCENARIO_NAMES = ["smoke", "capacity", "join-storm", "reconnect-storm", "soak", "hostile", "network"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * The harness's command line, read once at start as the server reads its
 * settings: every value checked, with a message naming the argument, before
 * any server starts. Each scenario reads the arguments it uses.
 */
export interface BenchArgs {
  readonly scenario: ScenarioName;
  /** Where to write the JSON report and the HTML report, if anywhere. */
  readonly out: string | undefined;
  readonly html: string | undefined;
  /** smoke, soak, hostile: legitimate bots. */
  readonly bots: number;
  /** Length of each measured run (s): 20 unless given, 180 for hostile (a soak), 30 per link for network. */
  readonly seconds: number;
  /** hostile: hostile clients beside the bots. */
  readonly hostile: number;
  /** capacity: concurrent players at each step, increasing. */
  readonly steps: readonly number[];
  /** join-storm: joins at once. */
  readonly joins: number;
  /** join-storm: the arena with each of these numbers of processes sharing Redis. */
  readonly processes: readonly number[];
  /** join-storm: quick-play seats only (HTTP, no WebSocket, no baseline). */
  readonly seatsOnly: boolean;
  /** join-storm: every server process on CPU 0. */
  readonly pinServers: boolean;
  /** join-storm: the arena's seat requests over this many kept-alive connections per process (default: fetch's own pool). */
  readonly keepAlive: number | undefined;
  /** join-storm: each server process (and the baseline) held to this much CPU (a cgroup quota), so that processes, not the machine's cores, set the scale. */
  readonly serverCores: number | undefined;
  /** join-storm: seats asked of each process before the burst, their rooms left to close (warm processes). */
  readonly warmUp: number;
  /** join-storm: lobby clients on each arena process through the burst (players browsing the room list). */
  readonly lobbyWatchers: number;
  /** capacity: room sizes, each swept in turn. */
  readonly roomSizes: readonly number[];
  /** capacity: raw bots beyond 32 full ones. */
  readonly light: boolean;
  /** capacity: spectators added to each step of the default arena, measured apart. */
  readonly spectators: number;
  /** capacity: run the Socket.IO baseline beside the arena (`--no-baseline`: not). */
  readonly baseline: boolean;
  /** capacity: the arena under other Node flags or binaries (`--arena-variants`), the default among them. */
  readonly variants: RuntimeVariant[];
  /** capacity: profile the default arena at the highest step reached, files into this folder. */
  readonly profile: { readonly dir: string; readonly intervalMicros: number } | undefined;
  /** reconnect-storm: clients dropped at once. */
  readonly clients: number;
  /** soak: length (min). */
  readonly minutes: number;
  /** join-storm, soak: the Redis database (flushed). */
  readonly redisUrl: string;
  /** network: the link profiles, each run in turn (testkit/src/linkProfiles.ts). */
  readonly links: readonly LinkProfileName[];
}

export class BenchArgsError extends Error {}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `at least ${min}`).max(max, `at most ${max}`));
const positiveNumber = (unit: string, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `a number of ${unit}, like 20 or 2.5`)
    .transform(Number)
    .pipe(z.number().positive(`more than 0 ${unit}`).max(max, `at most ${max} ${unit}`));
const wholeNumbers = (min: number, max: number, example: string) =>
  z
    .string()
    .regex(/^\d+(,\d+)*$/, `comma-separated whole numbers, like ${example}`)
    .transform((text) => text.split(",").map(Number))
    .refine((numbers) => numbers.every((n) => n >= min && n <= max), `each from ${min} to ${max}`);
/** A file the harness writes at the end of a run: its folder must exist now, not after an hour's soak. */
const reportFile = z
  .string()
  .min(1)
  .refine((path) => existsSync(dirname(resolve(path))), "its folder does not exist")
  .optional();

const schema = z.strictObject({
  scenario: z.enum(SCENARIO_NAMES, { error: (issue) => `no scenario "${String(issue.input)}"; the scenarios are ${SCENARIO_NAMES.join(", ")}` }),
  out: reportFile,
  html: reportFile,
  bots: wholeNumber(1, 100_000),
  seconds: positiveNumber("seconds", 86_400).optional(),
  hostile: wholeNumber(0, 10_000),
  steps: wholeNumbers(1, 100_000, "32,64,96").refine((steps) => steps.every((n, i) => i === 0 || n > steps[i - 1]), "players must increase from step to step"),
  joins: wholeNumber(1, 1_000_000),
  processes: wholeNumbers(1, 8, "1,2"),
  "seats-only": z.boolean(),
  "pin-servers": z.boolean(),
  "keep-alive": wholeNumber(1, 10_000).optional(),
  "server-cores": positiveNumber("cores", 64).optional(),
  "warm-up": wholeNumber(0, 100_000),
  "lobby-watchers": wholeNumber(0, 10_000),
  // The server's ROOM_CAPACITY range.
  "room-size": wholeNumbers(1, 256, "8,16"),
  light: z.boolean(),
  spectators: wholeNumber(0, 100_000),
  "no-baseline": z.boolean(),
  "arena-variants": z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return parseVariants(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  profile: z.boolean(),
  "profile-dir": z.string().min(1),
  // V8's sampling interval: Node's default is 1000 µs; the sampler's own cost grows with the rate.
  "profile-interval-us": wholeNumber(10, 1_000_000),
  clients: wholeNumber(1, 100_000),
  minutes: positiveNumber("minutes", 10_080),
  redis: z.url({ protocol: /^rediss?$/, error: "a redis:// or rediss:// URL" }),
  links: z
    .string()
    .transform((text) => text.split(","))
    .refine((names) => names.every(isLinkProfileName), `comma-separated link profiles, of ${Object.keys(LINK_PROFILES).join(", ")}`)
    .transform((names) => names as LinkProfileName[]),
});

/** Every option as a string or a flag; the schema reads the values. */
function options(env: NodeJS.ProcessEnv) {
  return {
    scenario: { type: "string", default: "smoke" },
    out: { type: "string" },
    html: { type: "string" },
    bots: { type: "string", default: "24" },
    seconds: { type: "string" },
    hostile: { type: "string", default: "8" },
    steps: { type: "string", default: "32,64,96,128,160" },
    joins: { type: "string", default: "200" },
    processes: { type: "string", default: "1,2" },
    "seats-only": { type: "boolean", default: false },
    "pin-servers": { type: "boolean", default: false },
    "keep-alive": { type: "string" },
    "server-cores": { type: "string" },
    "warm-up": { type: "string", default: "0" },
    "lobby-watchers": { type: "string", default: "0" },
    "room-size": { type: "string", default: "8" },
    light: { type: "boolean", default: false },
    spectators: { type: "string", default: "0" },
    "no-baseline": { type: "boolean", default: false },
    "arena-variants": { type: "string" },
    profile: { type: "boolean", default: false },
    "profile-dir": { type: "string", default: join(tmpdir(), "arena-bench-profiles") },
    "profile-interval-us": { type: "string", default: "1000" },
    clients: { type: "string", default: "500" },
    minutes: { type: "string", default: "30" },
    redis: { type: "string", default: env.REDIS_BENCH_URL ?? "redis://127.0.0.1:6379/14" },
    links: { type: "string", default: Object.keys(LINK_PROFILES).join(",") },
  } as const;
}

/**
 * Reads the command line (`process.argv.slice(2)`), or throws a
 * BenchArgsError naming each bad argument.
 */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: options(env), strict: true, allowPositionals: false }));
  } catch (error) {
    // node:util's own messages name the option (`Unknown option '--stepz'`).
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw error;
    throw new BenchArgsError(`Invalid arguments:\n  ${(error as Error).message.replaceAll("\n", "\n  ")}`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  --${issue.path.join(".")}: ${issue.message}`);
    throw new BenchArgsError(`Invalid arguments:\n${lines.join("\n")}`);
  }
  const v = parsed.data;
  return Object.freeze({
    scenario: v.scenario,
    out: v.out,
    html: v.html,
    bots: v.bots,
    seconds: v.seconds ?? (v.scenario === "hostile" ? 180 : v.scenario === "network" ? 30 : 20),
    hostile: v.hostile,
    steps: v.steps,
    joins: v.joins,
    processes: v.processes,
    seatsOnly: v["seats-only"],
    pinServers: v["pin-servers"],
    keepAlive: v["keep-alive"],
    serverCores: v["server-cores"],
    warmUp: v["warm-up"],
    lobbyWatchers: v["lobby-watchers"],
    roomSizes: v["room-size"],
    light: v.light,
    spectators: v.spectators,
    baseline: !v["no-baseline"],
    variants: v["arena-variants"],
    profile: v.profile ? { dir: v["profile-dir"], intervalMicros: v["profile-interval-us"] } : undefined,
    clients: v.clients,
    minutes: v.minutes,
    redisUrl: v.redis,
    links: v.links,
  });
}
