import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";

/**
 * The simulation (shared/src/sim) must stay pure and deterministic: no clock,
 * no Math.random, no engine-dependent transcendental functions, and no
 * imports but its own modules and the shared constants.
 */
const SIM_DIR = new URL("../src/sim/", import.meta.url);

const FORBIDDEN: [RegExp, string][] = [
  [/Math\.random/, "Math.random (use the world's seeded generator)"],
  [/Date\.now|new Date|performance\.now|process\.hrtime/, "a clock"],
  [/Math\.(sin|cos|tan|atan2?|asin|acos|exp|pow|log|hypot|cbrt)\b/, "a transcendental Math function (not identical across engines)"],
  [/\*\*/, "** (Math.pow; not identical across engines)"],
  [/\b(setTimeout|setInterval|globalThis|window|document|require)\b/, "a host global"],
];

describe("simulation purity", () => {
  for (const file of readdirSync(SIM_DIR).filter((f) => f.endsWith(".ts"))) {
    it(`${file} uses no clock, randomness, host API or outside import`, () => {
      const source = readFileSync(new URL(file, SIM_DIR), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const [pattern, what] of FORBIDDEN) assert.doesNotMatch(source, pattern, `${file} uses ${what}`);
      for (const [, from] of source.matchAll(/from\s+"([^"]+)"/g)) {
        assert.ok(
          from.startsWith("./") || from.startsWith("../constants") || from.startsWith("../arena") || from.startsWith("../modes"),
          `${file} imports ${from}`,
        );
      }
    });
  }
});
