// PM2: several game server processes on one machine sharing matchmaking
// through Redis. `npm run build`, then `npx pm2 start ecosystem.config.cjs`,
// then `npx pm2 logs`. Each process runs the build (server/dist/main.js), as
// `npm start` does; build again before restarting them to deploy new code.
// Each instance gets PORT + NODE_APP_INSTANCE (2567, 2568, ...), its own
// PUBLIC_ADDRESS through the {port} placeholder, and its own monitoring
// listener for /metrics and /monitor (METRICS_PORT + NODE_APP_INSTANCE:
// 9567, 9568, ... on 127.0.0.1). Behind a reverse proxy that
// routes by port path (README, "TLS and a reverse proxy"), use for example
// PUBLIC_ADDRESS: "game.example.com/{port}" and TRUSTED_PROXIES: "loopback".
const { existsSync } = require("node:fs");
const path = require("node:path");

const script = path.join(__dirname, "server/dist/main.js");
if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);

module.exports = {
  apps: [
    {
      name: "arena",
      script,
      interpreter: "node",
      // Stack traces name the .ts lines (server/dist/main.js.map).
      node_args: "--enable-source-maps",
      instances: 2,
      exec_mode: "fork",
      // Give rooms the shutdown deadline (SHUTDOWN_DEADLINE_SECONDS) before PM2 kills.
      kill_timeout: 40_000,
      env: {
        NODE_ENV: "production",
        PORT: "2567",
        REDIS_URL: "redis://127.0.0.1:6379",
        PUBLIC_ADDRESS: "127.0.0.1:{port}",
      },
    },
  ],
};
