import { existsSync } from "node:fs";
import type { NodeRuntime } from "@arena/testkit";

/** One way to run the arena's process: a name for the report, a Node binary and flags. */
export interface RuntimeVariant extends NodeRuntime {
  name: string;
  execArgv: string[];
}

/** The arena as `npm start` runs it: this process's Node, no extra flags. */
export const DEFAULT_VARIANT: RuntimeVariant = { name: "default", execArgv: [] };

/**
 * Parses `--arena-variants`: comma-separated entries, each `name` or
 * `name=spec`, where spec is space-separated words, a word starting with `-`
 * a Node flag and any other word the path of a Node binary. `default` is
 * always measured (first if not listed), as the variants' ratios are to it.
 *
 * `default,semi16=--max-semi-space-size=16,node22=/tmp/node22/bin/node`
 */
export function parseVariants(text: string | undefined): RuntimeVariant[] {
  const variants: RuntimeVariant[] = [];
  for (const entry of (text ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const cut = entry.indexOf("=");
    const name = cut < 0 ? entry : entry.slice(0, cut);
    if (!/^[\w.-]+$/.test(name)) throw new Error(`runtime variant "${entry}": the name must be letters, digits, "_", "." or "-"`);
    if (variants.some((v) => v.name === name)) throw new Error(`runtime variant "${name}" is listed twice`);
    if (name === DEFAULT_VARIANT.name) {
      if (cut >= 0) throw new Error(`runtime variant "default" is this Node without flags; give other settings a name of their own`);
      variants.push(DEFAULT_VARIANT);
      continue;
    }
    const words =
      cut < 0
        ? []
        : entry
            .slice(cut + 1)
            .split(/\s+/)
            .filter(Boolean);
    const paths = words.filter((w) => !w.startsWith("-"));
    if (paths.length > 1) throw new Error(`runtime variant "${name}": one Node binary at most, got ${paths.join(" and ")}`);
    if (paths[0] !== undefined && !existsSync(paths[0])) throw new Error(`runtime variant "${name}": no Node binary at ${paths[0]}`);
    if (words.length === 0) throw new Error(`runtime variant "${name}" sets nothing: give flags or a Node binary after "="`);
    variants.push({ name, execPath: paths[0], execArgv: words.filter((w) => w.startsWith("-")) });
  }
  return variants.some((v) => v.name === DEFAULT_VARIANT.name) ? variants : [DEFAULT_VARIANT, ...variants];
}

/** The system's name in reports: `arena` for the default, `arena:NAME` for a variant. */
export function systemName(variant: RuntimeVariant): string {
  return variant.name === DEFAULT_VARIANT.name ? "arena" : `arena:${variant.name}`;
}
