#!/usr/bin/env node
/**
 * `npm test`: type-check, then run every test file with Node's test runner.
 * Each file runs in its own process (Colyseus's matchmaker is one per
 * process), so servers started by one file never meet another's.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const testDirs = ["shared/test", "server/test"];

function testFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => join(dir, entry.name))
    .sort();
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

console.log("== type-check (tsc)");
if (run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."]) !== 0) process.exit(1);

const files = testDirs.flatMap(testFiles);
console.log(`== ${files.length} test files`);
process.exit(run(process.execPath, ["--import", "tsx", "--test", "--test-force-exit", "--test-reporter=spec", ...files]));
