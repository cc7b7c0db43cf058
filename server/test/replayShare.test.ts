import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ReplayMeta } from "@arena/shared";
import { freePort, redisSkipReason, request, spawnServer, TestPlayer, useDatabase, waitFor, type ServerProcess } from "@arena/testkit";
import { rawGet } from "./helpers/rawGet.ts";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the replays across processes test: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 9;

describe("replays across processes sharing a REPLAY_DIR", { skip }, () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof useDatabase>>;
  const procs: ServerProcess[] = [];
  const players: TestPlayer[] = [];

  async function start(): Promise<ServerProcess> {
    const port = await freePort();
    const proc = await spawnServer({ PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`, REDIS_URL: db.url, REPLAY_DIR: dir, MATCH_SNAPSHOT_MS: "0" });
    procs.push(proc);
    return proc;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "arena-replay-share-"));
    db = await useDatabase(DB);
    await start();
    await start();
  });
  after(async () => {
    await Promise.all(players.map((p) => p.leave()));
    await Promise.all(procs.map((p) => p.stop()));
    await db?.flush();
    await rm(dir, { recursive: true, force: true });
  });

  it("a match played on one process is listed and served by the other, its bytes those the first stored", async () => {
    const [a] = procs;
    const ann = await TestPlayer.join(a.endpoint, "Ann");
    players.push(ann);
    const bob = await TestPlayer.join(a.endpoint, "Bob");
    players.push(bob);
    assert.equal(bob.room.roomId, ann.room.roomId);
    const roomId = ann.room.roomId;
    // Which process hosts the match (placement picks it): the other one must answer for its replay.
    const host = (await waitFor("the room listed", async () =>
      (await request(a.endpoint, "GET", "/api/rooms")).body.rooms.find((r: { roomId: string }) => r.roomId === roomId),
    )) as {
      processId: string;
    };
    const hostIds = await Promise.all(procs.map(async (p) => (await request(p.endpoint, "GET", "/api/health")).body.processId as string));
    assert.ok(hostIds.includes(host.processId));
    const hostProc = procs[hostIds.indexOf(host.processId)];
    const other = procs[1 - hostIds.indexOf(host.processId)];
    ann.controls.moveX = 1;
    ann.controls.fire = true;
    bob.controls.moveY = 1;
    ann.play();
    bob.play();
    await waitFor("a second of play", () => ann.patches > 20);
    await Promise.all(players.splice(0).map((p) => p.leave()));

    const listed = (await waitFor(
      "the other process to list the replay",
      async () => (await request(other.endpoint, "GET", "/api/replays")).body.replays.find((m: ReplayMeta) => m.roomId === roomId),
      15_000,
    )) as ReplayMeta;
    assert.deepEqual([...listed.players].sort(), ["Ann", "Bob"]);
    assert.ok(listed.ticks > 0);
    const served = await rawGet(other.endpoint, `/api/replays/${listed.id}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers["content-encoding"], "gzip");
    assert.deepEqual(served.body, await readFile(join(dir, `${listed.id}.replay.gz`)), "the bytes as the host stored them");
    assert.equal(served.body.byteLength, listed.bytes);
    assert.deepEqual((await rawGet(hostProc.endpoint, `/api/replays/${listed.id}`)).body, served.body, "both processes serve the same bytes");
  });
});
