#!/usr/bin/env node
/**
 * `npm test`: type-check, lint, check the format, then run every test file with Node's test runner.
 * Each file runs in its own process (Colyseus's matchmaker is one per
 * process), so servers started by one file never meet another's.
 */
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const testDirs = ["shared/test", "server/test", "server/test/unit", "client/test", "client/test/unit", "loadtest/test", "testkit/test"].filter((dir) =>
  existsSync(join(root, dir)),
);

/** @param {string} dir @returns {string[]} */
function testFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** @param {string} command @param {string[]} args @returns {number} the exit status */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/**
 * PING over a plain socket: is a Redis server answering at this URL?
 * @param {string} url
 * @returns {Promise<boolean>}
 */
function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

const inCI = process.env.CI === "true";
const redisUrl = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const services = [
  [
    await redisAnswers(redisUrl),
    `Redis at ${redisUrl}`,
    "the multi-process scaling and match migration tests (server/test/scaling.test.ts, server/test/migration.test.ts, client/test/migration.test.ts)",
  ],
  [spawnSync("redis-server", ["--version"]).status === 0, "the redis-server binary", "the Redis outage test (server/test/redisOutage.test.ts)"],
  [
    spawnSync(process.env.NGINX_PATH ?? "nginx", ["-v"]).status === 0 && spawnSync("openssl", ["version"]).status === 0,
    "nginx and openssl",
    "the reverse proxy test (server/test/nginx.test.ts)",
  ],
  [
    spawnSync(process.env.PROMTOOL_PATH ?? "promtool", ["--version"]).status === 0,
    "promtool (Debian's prometheus package)",
    "the alert rules' check (server/test/opsConfig.test.ts)",
  ],
  [
    existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"),
    `Chromium at ${process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"}`,
    "the browser tests (client/test/browser.test.ts, client/test/migration.test.ts, loadtest/test/reportBrowser.test.ts)",
  ],
];
console.log("== services");
for (const [ok, what, tests] of services) {
  if (ok) console.log(`   ${what}: available`);
  else console.log(`   ${what}: MISSING, so ${tests} ${inCI ? "will FAIL (CI=true skips nothing)" : "will be SKIPPED"}`);
}

console.log("== type-check (tsc)");
if (run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."]) !== 0) process.exit(1);

console.log("== lint (eslint, type-aware rules on TypeScript 5 from lint/)");
if (!existsSync(join(root, "lint/node_modules/eslint"))) {
  console.error("   lint/node_modules is missing: the root's postinstall installs it (npm ci --prefix lint)");
  process.exit(1);
}
if (run(process.execPath, [join(root, "lint/node_modules/eslint/bin/eslint.js"), "."]) !== 0) process.exit(1);

console.log("== format (prettier --check)");
if (run(process.execPath, [join(root, "node_modules/prettier/bin/prettier.cjs"), "--check", "."]) !== 0) process.exit(1);

console.log("== build the browser client (vite)");
if (run(process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn", join(root, "client")]) !== 0) process.exit(1);

const files = testDirs.flatMap(testFiles);
console.log(`== ${files.length} test files`);
process.exit(run(process.execPath, ["--import", "tsx", "--test", "--test-force-exit", "--test-reporter=spec", ...files]));
