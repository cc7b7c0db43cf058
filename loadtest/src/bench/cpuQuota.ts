import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A process held to a share of a CPU (a control group of its own); `release` removes the group once the process is gone. */
export interface CpuQuota {
  readonly cores: number;
  release(): void;
}

/** Where a control group with a CPU quota can be made: cgroup v2's root if it delegates `cpu`, else v1's `cpu` hierarchy. */
function cpuHierarchy(): { root: string; version: 1 | 2 } | undefined {
  const v2 = "/sys/fs/cgroup";
  if (existsSync(join(v2, "cgroup.subtree_control")) && readFileSync(join(v2, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("cpu")) {
    return { root: v2, version: 2 };
  }
  const v1 = "/sys/fs/cgroup/cpu";
  if (existsSync(join(v1, "cpu.cfs_quota_us"))) return { root: v1, version: 1 };
  return undefined;
}

/**
 * Holds process `pid` (all its threads) to `cores` of CPU time: a control
 * group of its own with a CFS quota of `cores` periods per period. How the
 * join-storm bench gives each server process the same CPU whatever the
 * number of processes, so that what it measures is whether throughput grows
 * with processes, not how 2 cores are shared between servers and bots.
 * Needs a writable cgroup hierarchy (root, or a delegated group); throws
 * with what is missing otherwise.
 */
export function holdToCores(pid: number, cores: number): CpuQuota {
  const hierarchy = cpuHierarchy();
  if (hierarchy === undefined) throw new Error("--server-cores needs a cgroup CPU controller (cgroup v2 with cpu delegated, or v1's /sys/fs/cgroup/cpu)");
  const group = join(hierarchy.root, `arena-bench-${pid}`);
  try {
    mkdirSync(group);
    const periodUs = 100_000;
    const quotaUs = Math.max(1000, Math.round(cores * periodUs));
    if (hierarchy.version === 2) {
      writeFileSync(join(group, "cpu.max"), `${quotaUs} ${periodUs}`);
    } else {
      writeFileSync(join(group, "cpu.cfs_period_us"), String(periodUs));
      writeFileSync(join(group, "cpu.cfs_quota_us"), String(quotaUs));
    }
    writeFileSync(join(group, "cgroup.procs"), String(pid));
  } catch (error) {
    try {
      rmdirSync(group);
    } catch {
      // Never made.
    }
    throw new Error(`--server-cores: could not hold process ${pid} to ${cores} cores in ${group} (needs a writable cgroup hierarchy)`, { cause: error });
  }
  return {
    cores,
    release() {
      try {
        rmdirSync(group);
      } catch {
        // Still has a process (not stopped yet), or already gone.
      }
    },
  };
}
