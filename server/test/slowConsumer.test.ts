import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { type ServerProcess, spawnServer, TcpProxy, TestPlayer, waitFor } from "@arena/testkit";

const BACKLOG_BOUND = 256 * 1024;

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

describe("slow consumers", () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  before(async () => {
    server = await spawnServer({ ENABLE_TEST_HOOKS: "1", MAX_SEND_BACKLOG_BYTES: String(BACKLOG_BOUND) });
    proxy = await TcpProxy.start(server.port);
  });
  after(async () => {
    await proxy.stop();
    await server.stop();
  });

  it("a client that stops reading is cut once its backlog passes the bound; memory stays bounded; a reading client is untouched", async () => {
    const stalled = await TestPlayer.join(proxy.endpoint, "Stalled");
    const reader = await TestPlayer.join(server.endpoint, "Reader");
    reader.room.onMessage("blast", () => {});
    stalled.room.onMessage("blast", () => {});
    stalled.room.reconnection.enabled = false;
    await waitFor("both in one room", () => reader.state.players.size === 2);
    const rssBefore = rssMb(server.child.pid!);
    // 64 KB every 10 ms to each: 6.4 MB/s, far more than loopback and kernel buffers hold.
    reader.room.send("__test:blast", { bytes: 65536, count: 300, everyMs: 10 });
    stalled.room.send("__test:blast", { bytes: 65536, count: 300, everyMs: 10 });
    await new Promise((r) => setTimeout(r, 100));
    proxy.stall();
    await waitFor("the server to cut the stalled client", () => server.logs.some((l) => l.msg === "cut a client that stopped reading"), 10_000);
    const backlog = server.logs.find((l) => l.msg === "cut a client that stopped reading")!.backlog as number;
    assert.ok(backlog > BACKLOG_BOUND && backlog < BACKLOG_BOUND + 2 * 65536 + 4096, `cut at ${backlog} bytes`);
    const patches = reader.patches;
    await waitFor("the reader unaffected", () => reader.patches > patches + 10 && reader.room.connection.isOpen);
    assert.equal(server.logs.filter((l) => l.msg === "cut a client that stopped reading").length, 1, "only the stalled client was cut");
    const rssAfter = rssMb(server.child.pid!);
    assert.ok(rssAfter - rssBefore < 64, `server memory grew ${(rssAfter - rssBefore).toFixed(1)} MB`);
    console.log(`# cut at a backlog of ${backlog} bytes; server RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`);
    proxy.restore();
    await reader.leave();
  });
});

describe("half-open connections", () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  before(async () => {
    server = await spawnServer({});
    proxy = await TcpProxy.start(server.port);
  });
  after(async () => {
    await proxy.stop();
    await server.stop();
  });

  it("a client that vanishes without closing is noticed within the ping window (3 s x 2) and its seat held", async () => {
    const ghost = await TestPlayer.join(proxy.endpoint, "Ghost");
    const watcher = await TestPlayer.join(server.endpoint, "Watcher");
    ghost.room.reconnection.enabled = false;
    await waitFor("both in one room", () => watcher.state.players.size === 2);
    const stalledAt = Date.now();
    proxy.stall();
    await waitFor("the server to notice", () => watcher.state.players.get(ghost.id)?.connected === false, 12_000);
    const noticedMs = Date.now() - stalledAt;
    console.log(`# half-open connection noticed after ${noticedMs} ms`);
    const secret = ghost.room.reconnectionToken.split(":")[1];
    assert.ok(secret.length > 5 && !server.output().includes(secret), "the reconnection token is never logged");
    assert.ok(noticedMs <= 10_000, `${noticedMs} ms`);
    proxy.restore();
    await watcher.leave();
  });
});
