import { spawnSync } from "node:child_process";
import { measureStep, profileStep, type ProfileFailure, type ProfileOptions, type ProfiledRun, type StepResult } from "./capacity.ts";
import { DEFAULT_VARIANT, systemName, type RuntimeVariant } from "./runtimeVariants.ts";
import type { SystemFigures } from "./smoke.ts";

export interface SweepOptions {
  /** Concurrent players at each step, in order. */
  steps: number[];
  seconds: number;
  /** Raw bots beyond 32 full ones in the arena's runs. */
  light: boolean;
  baseline: boolean;
  /** The arena's runtimes, the default among them, in the order each step first runs them. */
  variants: RuntimeVariant[];
  /** Profile the default arena at the highest step reached. */
  profile?: ProfileOptions;
  /** Spectators added to each step of the default arena, measured apart (`--spectators`). */
  spectators?: number;
  progress: (line: string) => void;
}

/** Everything one room size gave: the highest step's figures per system, the ratios, every step, why it stopped. */
export interface RoomSizeResult {
  roomSize: number;
  /** The figures of each system at the highest step reached. */
  systems: Record<string, SystemFigures>;
  /** arena / baseline at the highest step, when the baseline ran. */
  ratios: Record<string, number>;
  /** For each runtime variant (`arena:NAME`): variant / default arena at the highest step, and the CPU ratio over all steps. */
  variantRatios: Record<string, Record<string, number>>;
  steps: StepResult[];
  limit: string;
  profile?: ProfiledRun | ProfileFailure;
}

const BASELINE_RATIOS = [
  "cpuMsPerClientSecond",
  "mainThreadCpuMsPerClientSecond",
  "bytesPerClientSecond",
  "framesInPerClientSecond",
  "framesOutPerClientSecond",
  "tickP99Ms",
] as const;
const VARIANT_RATIOS = [
  "cpuMsPerClientSecond",
  "mainThreadCpuMsPerClientSecond",
  "gcPauseMsPerClientSecond",
  "minorGcPerSecond",
  "tickP99Ms",
  "tickIntervalP99Ms",
  "rssMegabytes",
] as const;

/** One system's turn at a step. */
type Turn = { system: "baseline" } | { system: "arena"; runtime: RuntimeVariant };

/**
 * Raises concurrent players step by step in rooms of `roomSize`, every
 * system at each step (the order turning by one each step, so no system is
 * always first after a quiet spell), until the default arena's tick p99
 * passes 10 ms, its tick interval p99 passes 40 ms, or the bots use a whole
 * core (then the figures are the server's CPU per player at the highest load
 * reached, and the limit says the bots were it).
 */
export async function sweepRoomSize(roomSize: number, options: SweepOptions): Promise<RoomSizeResult> {
  const turns: Turn[] = [
    ...options.variants.map((runtime) => ({ system: "arena" as const, runtime })),
    ...(options.baseline ? [{ system: "baseline" as const }] : []),
  ];
  const steps: StepResult[] = [];
  let limit = "every step ran";
  for (const [index, players] of options.steps.entries()) {
    const order = [...turns.slice(index % turns.length), ...turns.slice(0, index % turns.length)];
    const measured: StepResult[] = [];
    for (const turn of order) {
      measured.push(
        await measureStep({
          ...turn,
          players,
          seconds: options.seconds,
          roomSize,
          progress: options.progress,
          light: turn.system === "arena" && options.light,
          spectators: turn.system === "arena" && systemName(turn.runtime) === systemName(DEFAULT_VARIANT) ? options.spectators : undefined,
        }),
      );
    }
    steps.push(...measured);
    const arena = measured.find((s) => s.system === systemName(DEFAULT_VARIANT))!.figures;
    if (arena.tickP99Ms > 10) {
      limit = `arena tick p99 over 10 ms at ${players} players`;
      break;
    }
    // Ticks that start late mean the server's core is full, however short each tick is.
    if (arena.tickIntervalP99Ms > 40) {
      limit = `arena tick interval p99 over 40 ms at ${players} players`;
      break;
    }
    if (Math.max(...measured.map((s) => s.botCpuShare)) > 0.9) {
      limit = `bots saturated their core at ${players} players (server figures are per player at that load)`;
      break;
    }
  }
  const systems = Object.fromEntries(
    [...new Set(steps.map((s) => s.system))].map((system) => [system, steps.filter((s) => s.system === system).at(-1)!.figures]),
  );
  const result: RoomSizeResult = {
    roomSize,
    systems,
    ratios: ratios(systems, "arena", "baseline", BASELINE_RATIOS),
    variantRatios: variantRatios(steps, systems, options.variants),
    steps,
    limit,
  };
  if (options.profile) {
    const players = steps.filter((s) => s.system === "arena").at(-1)!.players;
    result.profile = await profileStep({ players, seconds: options.seconds, roomSize, progress: options.progress, light: options.light }, options.profile);
  }
  return result;
}

function ratios(systems: Record<string, SystemFigures>, of: string, to: string, keys: readonly (keyof SystemFigures)[]): Record<string, number> {
  if (!systems[of] || !systems[to]) return {};
  return Object.fromEntries(keys.map((k) => [k, (systems[of][k] ?? NaN) / (systems[to][k] ?? NaN)]));
}

/** Each variant against the default at the highest step, and its CPU ratio's geometric mean over every step both ran. */
function variantRatios(steps: StepResult[], systems: Record<string, SystemFigures>, variants: RuntimeVariant[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const variant of variants.filter((v) => v.name !== DEFAULT_VARIANT.name)) {
    const name = systemName(variant);
    const perStep = steps
      .filter((s) => s.system === name)
      .flatMap((s) => {
        const base = steps.find((b) => b.system === "arena" && b.players === s.players);
        return base ? [s.figures.cpuMsPerClientSecond / base.figures.cpuMsPerClientSecond] : [];
      });
    out[name] = {
      ...ratios(systems, name, "arena", VARIANT_RATIOS),
      cpuMsPerClientSecondOverSteps: Math.exp(perStep.reduce((sum, r) => sum + Math.log(r), 0) / perStep.length),
    };
  }
  return out;
}

/** What each variant runs, for the report: its Node's version and flags. */
export function describeVariants(variants: RuntimeVariant[]): { name: string; node: string; flags: string }[] {
  return variants.map((v) => ({
    name: v.name,
    node: v.execPath ? spawnSync(v.execPath, ["--version"], { encoding: "utf8" }).stdout.trim() || `unknown (${v.execPath})` : process.version,
    flags: v.execArgv.join(" "),
  }));
}
