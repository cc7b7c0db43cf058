#!/usr/bin/env node
/**
 * The root's postinstall: installs the lint tools in lint/ (a separate
 * install beside TypeScript 5; README, "Lint and format"). Skipped by a
 * production install (`npm ci --omit=dev`), which needs no linter.
 */
import { spawnSync } from "node:child_process";

const omitted = (process.env.npm_config_omit ?? "").split(/[\s,]+/);
if (omitted.includes("dev") || process.env.NODE_ENV === "production") {
  console.log("lint/: not installed (a production install); `npm ci --prefix lint` installs it");
  process.exit(0);
}
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, "ci", "--prefix", "lint", "--no-audit", "--no-fund"], { stdio: "inherit" })
  : spawnSync("npm", ["ci", "--prefix", "lint", "--no-audit", "--no-fund"], { stdio: "inherit" });
process.exit(result.status ?? 1);
