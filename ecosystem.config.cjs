// PM2: several game server processes on one machine sharing matchmaking
// through Redis. `npx pm2 start ecosystem.config.cjs`, then `npx pm2 logs`.
// Each instance gets PORT + NODE_APP_INSTANCE (2567, 2568, ...), its own
// PUBLIC_ADDRESS through the {port} placeholder, and its own monitoring
// listener for /metrics and /monitor (METRICS_PORT + NODE_APP_INSTANCE:
// 9567, 9568, ... on 127.0.0.1). Behind a reverse proxy that
// routes by port path (README, "TLS and a reverse proxy"), use for example
// PUBLIC_ADDRESS: "game.example.com/{port}" and TRUSTED_PROXIES: "loopback".
module.exports = {
  apps: [
    {
      name: "arena",
      script: "server/src/main.ts",
      interpreter: "node",
      node_args: "--import tsx",
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
