import { cpus } from "node:os";
import type { BenchArgs, ScenarioName } from "./benchArgs.ts";
import { describeVariants, sweepRoomSize, type RoomSizeResult } from "./capacitySweep.ts";
import { runHostile } from "./hostile.ts";
import { NETWORK_BOTS, runNetwork } from "./network.ts";
import type { BenchReport } from "./report.ts";
import { runSmoke } from "./smoke.ts";
import { joinStorm, reconnectStorm, soak } from "./storms.ts";

/** What a scenario hands back: its report, and whether the run met its checks (the exit status). */
export interface ScenarioOutcome {
  report: BenchReport;
  ok: boolean;
}

export type Scenario = (args: BenchArgs, progress: (line: string) => void) => Promise<ScenarioOutcome>;

/** The parts every report shares: the scenario, when, and on what machine. */
function reportOf(scenario: ScenarioName, parts: Omit<BenchReport, "scenario" | "date" | "machine">): BenchReport {
  return { scenario, date: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, ...parts };
}

/** Each scenario by the name `--scenario` takes (benchArgs.ts lists the names). */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  async smoke(args, progress) {
    const result = await runSmoke({ bots: args.bots, sampled: 4, drops: 4, seconds: args.seconds, progress });
    return {
      report: reportOf("smoke", {
        systems: { arena: { ...result.figures } },
        ratios: {},
        checks: {
          joined: `${result.joined}/${result.bots}`,
          errors: result.errors,
          reconnected: `${result.reconnected}/${result.dropped}`,
          stateMatches: result.stateMismatches.length === 0 ? `${result.sampledClients} sampled clients match the server` : result.stateMismatches,
        },
      }),
      ok: result.joined === result.bots && result.errors.length === 0 && result.reconnected === result.dropped && result.stateMismatches.length === 0,
    };
  },

  /** Every room size in turn; the report keeps each size's results, the first size's also at the top. */
  async capacity(args, progress) {
    const options = {
      steps: [...args.steps],
      seconds: args.seconds,
      light: args.light,
      baseline: args.baseline,
      variants: args.variants,
      profile: args.profile,
      spectators: args.spectators,
      progress,
    };
    const results: RoomSizeResult[] = [];
    for (const roomSize of args.roomSizes) results.push(await sweepRoomSize(roomSize, options));
    const [first] = results;
    return {
      report: reportOf("capacity", {
        systems: Object.fromEntries(Object.entries(first.systems).map(([name, f]) => [name, { ...f }])),
        ratios: first.ratios,
        steps: first.steps,
        roomSizes: Object.fromEntries(results.map((r) => [String(r.roomSize), r])),
        checks: {
          limit: first.limit,
          roomSize: first.roomSize,
          roomSizes: args.roomSizes,
          lightBots: args.light,
          joinErrors: results.reduce((n, r) => n + r.steps.reduce((m, s) => m + s.joinErrors, 0), 0),
          arenaVariants: describeVariants(args.variants),
        },
      }),
      // A sweep measures until a limit; reaching one is its result, not a failure.
      ok: true,
    };
  },

  async "join-storm"(args, progress) {
    const counts = args.processes;
    const { arena, baseline, botsPinned, failures } = await joinStorm(args.joins, counts, args.redisUrl, progress, {
      seatsOnly: args.seatsOnly,
      pinServers: args.pinServers,
      keepAlive: args.keepAlive,
      serverCores: args.serverCores,
      warmUp: args.warmUp,
      lobbyWatchers: args.lobbyWatchers,
    });
    const systems: Record<string, Record<string, number>> = {};
    const ratios: Record<string, number> = {};
    for (const [n, figures] of Object.entries(arena)) {
      systems[`arena:${n}p`] = { ...figures };
      if (baseline !== undefined) ratios[`joinP99Ms:arena:${n}p/baseline`] = figures.joinP99Ms / baseline.joinP99Ms;
      ratios[`joinsPerSecond:arena:${n}p/arena:${counts[0]}p`] = figures.joinsPerSecond / arena[String(counts[0])].joinsPerSecond;
    }
    if (baseline !== undefined) systems.baseline = { ...baseline };
    return {
      report: reportOf("join-storm", {
        systems,
        ratios,
        checks: {
          arena: `${counts.join(", ")} process(es) sharing Redis, joins spread over them in turn; seat = quick-play answer, join = ${args.seatsOnly ? "the seat (--seats-only)" : "request to first state"}`,
          baseline: args.seatsOnly ? "not run (--seats-only)" : "one Socket.IO process",
          botsPinnedToCpu1: botsPinned,
          serversPinnedToCpu0: args.pinServers,
          coresPerServer: args.serverCores ?? "not held (--server-cores)",
          warmUpSeatsPerProcess: args.warmUp,
          lobbyWatchersPerProcess: args.lobbyWatchers,
          failedJoins: Object.keys(failures).length === 0 ? "none" : failures,
        },
      }),
      ok: Object.values(arena).every((f) => f.errors === 0),
    };
  },

  async "reconnect-storm"(args, progress) {
    const result = await reconnectStorm(args.clients, progress);
    return {
      report: reportOf("reconnect-storm", { systems: { arena: { ...result } }, ratios: {}, checks: { allBack: result.back === result.dropped } }),
      ok: result.back === result.dropped,
    };
  },

  async soak(args, progress) {
    const { figures, errorSamples } = await soak(args.minutes, args.bots, args.redisUrl, progress);
    return {
      report: reportOf("soak", {
        systems: { arena: { ...figures } },
        ratios: {},
        checks: { redisKeysBack: figures.redisKeysEnd <= figures.redisKeysStart, errorSamples },
      }),
      // A soak reports what memory and Redis did; its checks are read, not enforced.
      ok: true,
    };
  },

  /** Each link profile in turn; the profiles are the report's systems, so each figure is charted across them. */
  async network(args, progress) {
    const result = await runNetwork({ links: args.links, seconds: args.seconds, bots: args.bots, progress });
    return {
      report: reportOf("network", {
        systems: Object.fromEntries(Object.entries(result.figures).map(([name, f]) => [name, { ...f }])),
        ratios: {},
        checks: {
          setup: `per link: a fresh server, ${Math.min(args.bots, NETWORK_BOTS)} bots on loopback, two headless clients (GameSession, no Phaser) at 60 and 30 fps through a TcpProxy with the link; ${args.seconds} s measured after a warm-up`,
          targets: result.targets,
          errors: result.errors,
        },
      }),
      // Correctness, not the targets: nobody moved backwards and nothing failed.
      ok: result.errors.length === 0 && Object.values(result.figures).every((f) => f.backwards === 0),
    };
  },

  async hostile(args, progress) {
    const result = await runHostile({ bots: args.bots, hostile: args.hostile, seconds: args.seconds, progress });
    const { calm, hostile } = result;
    return {
      report: reportOf("hostile", {
        systems: { calm: { ...calm }, hostile: { ...hostile } },
        ratios: Object.fromEntries((["patchGapP99Ms", "patchGapMaxMs", "arrivalGapP99Ms", "rssEndMegabytes"] as const).map((k) => [k, hostile[k] / calm[k]])),
        checks: {
          serverAlive: result.serverExit === null ? "yes" : result.serverExit,
          rssMegabytes: { start: result.rssStartMegabytes, max: result.rssMaxMegabytes, end: result.rssEndMegabytes },
          rssOverTime: result.rssOverTime,
          hostileActions: result.actions,
          hostileCloseCodes: result.closeCodes,
          serverEvents: result.serverEvents,
          errorSamples: result.errorSamples,
        },
      }),
      ok: result.serverExit === null && hostile.healthFailures === 0,
    };
  },
};
