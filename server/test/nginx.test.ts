import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, freePort, redisSkipReason, type ServerProcess, spawnServer, TestPlayer, useDatabase, waitFor } from "@arena/testkit";

/**
 * The README's reverse proxy, for real: nginx with the configuration the
 * README quotes (ops/nginx/arena.conf.template, rendered by
 * ops/nginx/render.mjs), a certificate made here with openssl, and two game
 * processes on Redis behind it. Skipped with the reason without nginx,
 * openssl or Redis; under CI=true a missing one is a failure.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NGINX = process.env.NGINX_PATH ?? "nginx";

function toolsSkipReason(): string | false {
  const missing = [
    [NGINX, "-v"],
    ["openssl", "version"],
  ]
    .filter(([bin, arg]) => spawnSync(bin, [arg]).status !== 0)
    .map(([bin]) => bin);
  if (missing.length === 0) return false;
  const reason = `no ${missing.join(" or ")} on PATH (apt-get install nginx openssl)`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}
const skip = toolsSkipReason() || (await redisSkipReason());
if (skip) console.log(`# skipping the reverse proxy test: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 10;

describe("two processes behind nginx, as the README sets them up", { skip }, () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof useDatabase>>;
  let nginx: ChildProcess;
  let tls: number;
  let origin: string;
  const procs: ServerProcess[] = [];
  const ids = new Map<string, number>(); // processId -> game port
  const players: TestPlayer[] = [];

  /** A request through nginx from a loopback address of our choosing (so the client has an address of its own). */
  function viaProxy(method: string, path: string, body?: unknown, from = "127.0.0.1"): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: tls,
          method,
          path,
          localAddress: from,
          rejectUnauthorized: false,
          headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  before(async () => {
    // The SDK's fetch and WebSocket in this process trust the certificate made below, which no CA signed.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    dir = mkdtempSync(join(tmpdir(), "arena-nginx-"));
    db = await useDatabase(DB);
    const made = spawnSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    tls = await freePort();
    origin = `https://127.0.0.1:${tls}`;
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const proc = await spawnServer({
        PORT: String(port),
        PUBLIC_ADDRESS: `127.0.0.1:${tls}/{port}`,
        REDIS_URL: db.url,
        TRUSTED_PROXIES: "loopback",
        ENABLE_TEST_HOOKS: "1",
        RATE_CREATES_PER_MINUTE: "2",
        RATE_JOINS_PER_MINUTE: "1000",
        RATE_CONNECTIONS_PER_MINUTE: "1000",
      });
      procs.push(proc);
      const health = (await fetch(`${proc.endpoint}/api/health`).then((r) => r.json())) as { processId: string };
      ids.set(health.processId, port);
    }
    const rendered = spawnSync(
      process.execPath,
      [
        join(ROOT, "ops/nginx/render.mjs"),
        "--ports",
        ports.join(","),
        "--listen",
        String(tls),
        "--server-name",
        "localhost",
        "--certificate",
        join(dir, "cert.pem"),
        "--certificate-key",
        join(dir, "key.pem"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(rendered.status, 0, rendered.stderr);
    writeFileSync(join(dir, "arena.conf"), rendered.stdout);
    // A minimal nginx.conf around it; every path nginx writes is in the test's directory.
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${join(dir, t)};`).join(" ");
    writeFileSync(
      join(dir, "nginx.conf"),
      [
        process.getuid?.() === 0 ? "user root;" : "",
        "daemon off;",
        "worker_processes 1;",
        `pid ${join(dir, "nginx.pid")};`,
        `error_log ${join(dir, "error.log")} warn;`,
        "events { worker_connections 256; }",
        `http { access_log off; ${temp} include ${join(dir, "arena.conf")}; }`,
      ].join("\n"),
    );
    nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: "ignore" });
    await waitFor(
      "nginx to listen",
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(tls, "127.0.0.1", () => {
            socket.destroy();
            resolve(true);
          });
          socket.on("error", () => resolve(false));
        }),
      10_000,
    );
  });

  after(async () => {
    await Promise.all(players.map((p) => p.leave()));
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once("exit", r));
      nginx.kill("SIGQUIT");
      await exited;
    }
    await Promise.all(procs.map((p) => p.stop()));
    await db?.flush();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("the README quotes the configuration the test runs, word for word", () => {
    const template = readFileSync(join(ROOT, "ops/nginx/arena.conf.template"), "utf8");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.ok(readme.includes(template.trim()), "README.md quotes ops/nginx/arena.conf.template");
  });

  it("players get seats through the proxy's name and play over wss on the process hosting their room, on either process", async () => {
    // Two rooms through the proxy: placement puts them on different processes.
    const seats = [];
    for (let i = 0; i < 2; i++) {
      const { status, body } = await viaProxy("POST", "/matchmake/create/arena", { name: `Host${i}`, protocol: PROTOCOL_VERSION }, `127.0.0.${10 + i}`);
      assert.equal(status, 200, JSON.stringify(body));
      seats.push(body);
    }
    const hosts = seats.map((seat) => ids.get(seat.processId));
    assert.deepEqual(new Set(hosts).size, 2, "a room on each process");
    for (const seat of seats) {
      assert.equal(seat.publicAddress, `127.0.0.1:${tls}/${ids.get(seat.processId)}`, "the room's address is the proxy's, with its own process's port");
      const host = players[players.push(new TestPlayer((await new Client(origin).consumeSeatReservation(seat, ArenaState)) as ArenaRoomClient)) - 1];
      const guest =
        players[
          players.push(
            new TestPlayer((await new Client(origin).joinById(seat.roomId, { name: "Guest", protocol: PROTOCOL_VERSION }, ArenaState)) as ArenaRoomClient),
          ) - 1
        ];
      assert.ok((host.room.connection.transport as unknown as { ws: { url: string } }).ws.url.startsWith(`wss://127.0.0.1:${tls}/${ids.get(seat.processId)}/`));
      await waitFor("both in", () => guest.state.players?.size === 2);
      const from = guest.state.players.get(host.id)!.x;
      host.controls.moveX = from > 800 ? -1 : 1;
      host.play();
      await waitFor("the guest sees the host move", () => Math.abs(guest.state.players.get(host.id)!.x - from) > 20);
      host.pause();
    }
  });

  it("a dropped player comes back through the proxy with its token", async () => {
    const player = players[0];
    const { id, room } = player;
    room.reconnection.enabled = false;
    const token = room.reconnectionToken;
    room.send("__test:drop");
    await waitFor("the drop seen", () => players[1].state.players.get(id)?.connected === false);
    const back = await waitFor("back in", () => new Client(origin).reconnect(token, ArenaState));
    players.push(new TestPlayer(back as ArenaRoomClient));
    assert.equal(back.sessionId, id);
    await waitFor("shown connected", () => players[1].state.players.get(id)?.connected === true);
  });

  it("rate limits count each client's own address (X-Forwarded-For from the trusted proxy), not the proxy's", async () => {
    const create = (from: string) => viaProxy("POST", "/api/private-rooms", { name: "Maker", protocol: PROTOCOL_VERSION }, from);
    // RATE_CREATES_PER_MINUTE=2: the third from one address is refused, while another address still creates.
    assert.deepEqual([(await create("127.0.0.2")).status, (await create("127.0.0.2")).status, (await create("127.0.0.2")).status], [201, 201, 429]);
    assert.equal((await create("127.0.0.3")).status, 201);
  });

  it("the monitoring routes are not reachable through the proxy", async () => {
    for (const path of ["/metrics", "/monitor", "/monitor/"]) {
      const { status, body } = await viaProxy("GET", path);
      assert.notEqual(status, 200, path);
      assert.ok(!String(typeof body === "string" ? body : JSON.stringify(body)).includes("arena_tick"), path);
    }
    // They are served on each process's monitoring listener (loopback) instead.
    const metrics = await fetch(`${procs[0].metricsEndpoint}/metrics`).then((r) => r.text());
    assert.match(metrics, /arena_tick_duration_seconds/);
  });
});
