import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { ReplayMeta } from "@arena/shared";
import { request, spawnServer, waitFor, type ServerProcess } from "@arena/testkit";
import { FileReplayStore } from "../src/replays/FileReplayStore.ts";
import { createLogger } from "../src/logger.ts";
import { rawGet } from "./helpers/rawGet.ts";
import { rawReplayOf, replayOf } from "./helpers/replays.ts";
import { MAX_UNCHECKED_REQUESTS } from "../src/replays/ReplayVerifier.ts";

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
  const goodBytes = replayOf(good.id);

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
    await store.save(metaOf("old_replay_00001", 1_000_000), replayOf("old_replay_00001"));
    await store.save(good, goodBytes);
    await store.save(duel, replayOf(duel.id));
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
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), gunzipSync(goodBytes));
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

  it("answer 500 corrupt_replay for a stored file that does not gunzip, decode or hold its own replay, with a log line, and go on serving", async () => {
    const big = replayOf("truncated_gzip01", 600);
    const replay = gunzipSync(replayOf("truncated_repl01", 600));
    const damaged: [ReplayMeta, Uint8Array][] = [
      [metaOf("truncated_gzip01", 10_000), big.subarray(0, big.byteLength - 20)],
      [metaOf("garbage_bytes_01", 11_000), new Uint8Array(Array.from({ length: 500 }, (_, i) => (i * 37) % 256))],
      [metaOf("not_a_replay_001", 12_000), gzipSync("ARPL and then nothing a replay has")],
      [metaOf("truncated_repl01", 13_000), gzipSync(replay.subarray(0, replay.byteLength - 7))],
      [metaOf("another_replay01", 14_000), replayOf("not_this_one_000")],
    ];
    for (const [meta, bytes] of damaged) await store.save(meta, bytes);
    for (const [meta] of damaged) {
      const res = await request(server.endpoint, "GET", `/api/replays/${meta.id}`);
      assert.deepEqual([res.status, res.body.errorCode], [500, "corrupt_replay"], meta.id);
      await waitFor("the log line", () => server.logs.some((line) => line.msg === "stored replay refused" && line.replayId === meta.id));
    }
    assert.match(JSON.stringify(server.logs.find((line) => line.replayId === "another_replay01")), /holds replay not_this_one_000/);
    assert.equal((await request(server.endpoint, "GET", "/api/health")).status, 200);
    assert.equal((await rawGet(server.endpoint, `/api/replays/${good.id}`)).status, 200);
    assert.equal((await request(server.endpoint, "GET", "/api/replays")).body.replays.length, 3 + damaged.length);
  });

  it(`answer 503 replays_busy with Retry-After past ${MAX_UNCHECKED_REQUESTS} requests for replays not checked yet, and serve each when asked again`, async () => {
    // One large replay (its check takes the worker tens of ms), stored under 30 ids: its id, in the header, written over.
    const template = rawReplayOf("busy_replay_0000", { ticks: 3000, players: 12, moving: true });
    const at = Buffer.from(template).indexOf("busy_replay_0000");
    const ids = Array.from({ length: 30 }, (_, i) => `busy_replay_${String(i + 1).padStart(4, "0")}`);
    for (const [i, id] of ids.entries()) {
      const raw = Buffer.from(template);
      raw.write(id, at, "ascii");
      await store.save(metaOf(id, 20_000 + i), gzipSync(raw));
    }
    const answers = await Promise.all(ids.map((id) => rawGet(server.endpoint, `/api/replays/${id}`)));
    const busy = answers.filter((res) => res.status === 503);
    console.log(`# ${busy.length} of ${ids.length} first requests at once answered 503`);
    assert.ok(busy.length > 0 && answers.some((res) => res.status === 200), answers.map((res) => res.status).join(","));
    for (const res of answers) assert.ok(res.status === 200 || res.status === 503, String(res.status));
    for (const res of busy) {
      assert.equal(errorCodeOf(res.body), "replays_busy");
      assert.equal(res.headers["retry-after"], "1");
    }
    for (const id of ids) assert.equal((await rawGet(server.endpoint, `/api/replays/${id}`)).status, 200, id);
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
