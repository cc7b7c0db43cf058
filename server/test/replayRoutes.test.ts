import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { ReplayMeta } from "@arena/shared";
import { request, spawnServer, waitFor, type ServerProcess } from "@arena/testkit";
import { FileReplayStore } from "../src/replays/FileReplayStore.ts";
import { createLogger } from "../src/logger.ts";

/** A GET with the path exactly as written (fetch would normalise it) and the body as sent (fetch would unzip it). */
function rawGet(endpoint: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const errorCodeOf = (body: Buffer): unknown => (JSON.parse(body.toString("utf8")) as { errorCode?: unknown }).errorCode;

function metaOf(id: string, endedAt: number, mode = "ffa"): ReplayMeta {
  return { id, roomId: "someRoom", mode, startedAt: endedAt - 1000, endedAt, ticks: 30, players: ["Ann"], bytes: 0 };
}

describe("the replay routes", () => {
  let dir: string;
  let server: ServerProcess;
  /** Another process's store on the server's directory: what it keeps, the server answers for. */
  let store: FileReplayStore;
  const good = metaOf("good_replay_0001", 3_000_000);
  const goodBytes = gzipSync("the bytes of a replay");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "arena-replay-routes-"));
    server = await spawnServer({ REPLAY_DIR: dir });
    store = new FileReplayStore({ dir, keep: 100, maxAgeHours: 1, log: createLogger("silent") });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("list nothing at first, then every replay newest first, by mode on request; an unknown mode is refused", async () => {
    assert.deepEqual((await request(server.endpoint, "GET", "/api/replays")).body, { replays: [] });
    const duel = metaOf("duel_replay_0001", 2_000_000, "duel");
    await store.save(metaOf("old_replay_00001", 1_000_000), gzipSync("old"));
    await store.save(good, goodBytes);
    await store.save(duel, gzipSync("duel"));
    const all = await request(server.endpoint, "GET", "/api/replays");
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.replays.map((m: ReplayMeta) => m.id),
      [good.id, duel.id, "old_replay_00001"],
    );
    assert.deepEqual(all.body.replays[0], { ...good, bytes: goodBytes.byteLength });
    const duels = await request(server.endpoint, "GET", "/api/replays?mode=duel");
    assert.deepEqual(
      duels.body.replays.map((m: ReplayMeta) => m.id),
      [duel.id],
    );
    const bad = await request(server.endpoint, "GET", "/api/replays?mode=chess");
    assert.deepEqual([bad.status, bad.body.errorCode], [400, "unknown_mode"]);
  });

  it("serve a replay's stored bytes, gzip-encoded and cached for good", async () => {
    const raw = await rawGet(server.endpoint, `/api/replays/${good.id}`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers["content-encoding"], "gzip");
    assert.equal(raw.headers["content-type"], "application/octet-stream");
    assert.equal(raw.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.deepEqual(raw.body, await readFile(join(dir, `${good.id}.replay.gz`)));
    // What a browser's fetch sees: the replay unzipped.
    const res = await fetch(`${server.endpoint}/api/replays/${good.id}`);
    assert.equal(await res.text(), "the bytes of a replay");
  });

  it("answer 404 unknown_replay for unknown ids and anything that is not an id, never a file outside the directory", async () => {
    const notIds = [
      "unknown_replay01",
      "..%2f..%2f..%2fetc%2fpasswd",
      `..%2f${dir.split("/").pop()}%2f${good.id}`,
      "%2e%2e%2f%2e%2e%2fetc",
      "a%2Fb",
      "..%5c..%5cwindows",
      "x".repeat(5000),
      encodeURIComponent("ĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀ"),
      encodeURIComponent("good_replay_000١"), // an Arabic-Indic digit
      `${good.id}%00`,
      "%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
      "%ZZ",
      `${good.id}.json`,
    ];
    for (const id of notIds) {
      const res = await rawGet(server.endpoint, `/api/replays/${id}`);
      assert.deepEqual([res.status, errorCodeOf(res.body)], [404, "unknown_replay"], id);
    }
    // Paths not in normal form never reach the route (HttpGate), and other shapes are no route.
    for (const path of ["/api/replays/../../etc/passwd", "/api/replays/%2e%2e", "/api/replays/./x", "/api/replays/a\\b"]) {
      const res = await rawGet(server.endpoint, path);
      assert.deepEqual([res.status, errorCodeOf(res.body)], [400, "bad_request"], path);
    }
    for (const path of [`/api/replays/${good.id}/more`, "/api/Replays", `/api/REPLAYS/${good.id}`, "/api/replays/"]) {
      const res = await rawGet(server.endpoint, path);
      assert.deepEqual([res.status, errorCodeOf(res.body)], [404, "not_found"], path);
    }
  });

  it("answer 500 corrupt_replay for a stored file that does not gunzip, with a log line, and go on serving", async () => {
    const truncated = metaOf("truncated_gzip01", 10_000);
    const garbage = metaOf("garbage_bytes_01", 11_000);
    const big = gzipSync(Buffer.alloc(100_000, 7));
    await store.save(truncated, big.subarray(0, big.byteLength - 20));
    await store.save(garbage, new Uint8Array(Array.from({ length: 500 }, (_, i) => (i * 37) % 256)));
    for (const meta of [truncated, garbage]) {
      const res = await request(server.endpoint, "GET", `/api/replays/${meta.id}`);
      assert.deepEqual([res.status, res.body.errorCode], [500, "corrupt_replay"], meta.id);
      await waitFor("the log line", () => server.logs.some((line) => line.msg === "stored replay refused" && line.replayId === meta.id));
    }
    assert.equal((await request(server.endpoint, "GET", "/api/health")).status, 200);
    assert.equal((await rawGet(server.endpoint, `/api/replays/${good.id}`)).status, 200);
    assert.equal((await request(server.endpoint, "GET", "/api/replays")).body.replays.length, 5);
  });
});

describe("replays turned off (REPLAY_DIR=off, the test servers' default)", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer();
  });
  after(() => server?.stop());

  it("both routes answer 404 replays_off", async () => {
    for (const path of ["/api/replays", "/api/replays/good_replay_0001", "/api/replays/..%2fx"]) {
      const res = await request(server.endpoint, "GET", path);
      assert.deepEqual([res.status, res.body.errorCode], [404, "replays_off"], path);
    }
  });
});

describe("a REPLAY_DIR that cannot be made", () => {
  it("stops the server at start", async () => {
    await assert.rejects(spawnServer({ REPLAY_DIR: "/dev/null/replays" }), /REPLAY_DIR \/dev\/null\/replays cannot be made or written to/);
  });
});
