import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION, type RoomListing } from "@arena/shared";
import { type ArenaRoomClient, freePort, redisSkipReason, request, type ServerProcess, spawnServer, TestPlayer, useDatabase, waitFor } from "@arena/testkit";
import { Cluster } from "./helpers/migration.ts";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the two-process spectator attack: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 9;
const CAPACITY = 4;
const MAX_SPECTATORS = 3;

/**
 * Spectators under a burst, with two processes sharing Redis: quick plays
 * and spectators' joins by id at once, through both processes, never put
 * more players or spectators in a room than its seats, and every quick play
 * gets a seat.
 */
describe("spectators with two processes", { skip }, () => {
  let db: Awaited<ReturnType<typeof useDatabase>>;
  const procs: ServerProcess[] = [];
  const ids = new Map<string, ServerProcess>();
  const people: TestPlayer[] = [];

  async function start(): Promise<ServerProcess> {
    const port = await freePort();
    const proc = await spawnServer({
      MATCH_SNAPSHOT_MS: "0",
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: db.url,
      ROOM_CAPACITY: String(CAPACITY),
      MAX_SPECTATORS: String(MAX_SPECTATORS),
      RATE_JOINS_PER_MINUTE: "100000",
      RATE_CONNECTIONS_PER_MINUTE: "100000",
      RATE_CREATES_PER_MINUTE: "100000",
      RATE_FAILED_JOINS_PER_HOUR: "100000",
      MAX_SOCKETS_PER_ADDRESS: "100000",
      SHUTDOWN_DEADLINE_SECONDS: "1",
    });
    procs.push(proc);
    ids.set((await request(proc.endpoint, "GET", "/api/health")).body.processId as string, proc);
    return proc;
  }

  const listing = async (via: ServerProcess) => (await request(via.endpoint, "GET", "/api/rooms")).body.rooms as RoomListing[];

  before(async () => {
    if (skip) return;
    db = await useDatabase(DB);
    await start();
    await start();
  });
  after(async () => {
    await Promise.all(people.splice(0).map((p) => p.leave()));
    await Promise.all(procs.map((p) => p.stop()));
    await db?.flush();
  });

  it("a burst of quick plays and spectators through both processes keeps every room within its seats", async () => {
    const [a, b] = procs;
    const first = await TestPlayer.join(a.endpoint, "Ann");
    people.push(first);
    const roomId = first.room.roomId;
    await waitFor("the room is listed on both", async () => (await listing(b)).some((r) => r.roomId === roomId));
    const me = (name: string, extra: Record<string, unknown> = {}) => ({ name, protocol: PROTOCOL_VERSION, ...extra });
    const requests = [
      ...Array.from({ length: 10 }, (_, i) => ({ via: i % 2 ? a : b, path: "/matchmake/joinOrCreate/arena", body: me(`P${i}`), spectator: false })),
      ...Array.from({ length: 6 }, (_, i) => ({
        via: i % 2 ? b : a,
        path: `/matchmake/joinById/${roomId}`,
        body: me(`S${i}`, { spectate: true }),
        spectator: true,
      })),
    ];
    const answers = await Promise.all(requests.map(async (r) => ({ ...r, answer: await request(r.via.endpoint, "POST", r.path, r.body) })));
    const quickPlays = answers.filter((r) => !r.spectator);
    assert.deepEqual(
      quickPlays.map((r) => r.answer.status),
      quickPlays.map(() => 200),
      "every quick play gets a seat",
    );
    const watchers = answers.filter((r) => r.spectator);
    assert.equal(watchers.filter((r) => r.answer.status === 200).length, MAX_SPECTATORS, "the spectator seats are all taken, and no more");
    // Every seat taken, each on the process that holds its room.
    const joined = await Promise.all(
      answers
        .filter((r) => r.answer.status === 200)
        .map(async (r) => {
          const seat = r.answer.body;
          const room = await new Client(ids.get(seat.processId as string)!.endpoint).consumeSeatReservation<ArenaState>(seat as never, ArenaState);
          const person = new TestPlayer(room as ArenaRoomClient);
          people.push(person);
          return { person, spectator: r.spectator };
        }),
    );
    await waitFor("everyone has the state", () => joined.every(({ person }) => person.state.players.size > 0));
    const byRoom = new Map<string, { players: Set<string>; spectators: number }>();
    for (const { person, spectator } of [...joined, { person: first, spectator: false }]) {
      const entry = byRoom.get(person.room.roomId) ?? { players: new Set(), spectators: 0 };
      byRoom.set(person.room.roomId, entry);
      if (spectator) entry.spectators++;
      else entry.players.add(person.id);
    }
    await waitFor("each room's state has its players", () =>
      joined.every(({ person }) => person.state.players.size === byRoom.get(person.room.roomId)!.players.size),
    );
    for (const [id, { players, spectators }] of byRoom) {
      assert.ok(players.size <= CAPACITY, `room ${id}: ${players.size} players for ${CAPACITY} seats`);
      assert.ok(spectators <= MAX_SPECTATORS, `room ${id}: ${spectators} spectators`);
    }
    assert.equal(byRoom.get(roomId)!.spectators, MAX_SPECTATORS);
    // The listings, from either process, say the same.
    await waitFor("the listings match the rooms", async () => {
      for (const via of [a, b]) {
        const rows = await listing(via);
        for (const [id, { players, spectators }] of byRoom) {
          const row = rows.find((r) => r.roomId === id);
          if (row?.players !== players.size || row.spectators !== spectators) return false;
        }
      }
      return true;
    });
    // Those who came too late are refused (409 spectators_full, or Colyseus's raw 523 when they race: spectatorsAttack.test.ts).
    assert.ok(watchers.filter((r) => r.answer.status !== 200).every((r) => r.answer.status === 409 || r.answer.status === 523));
    await Promise.all(people.splice(0).map((p) => p.leave()));
  });

  it("spectators racing for a room's last seats through both processes are refused with 409 spectators_full, not Colyseus's raw 523", async () => {
    const [a, b] = procs;
    const ann = await TestPlayer.join(b.endpoint, "Ann");
    people.push(ann);
    const roomId = ann.room.roomId;
    await waitFor("the room is listed on both", async () => (await listing(a)).some((r) => r.roomId === roomId));
    const answers = await Promise.all(
      Array.from({ length: 8 * MAX_SPECTATORS }, (_, i) =>
        request((i % 2 ? a : b).endpoint, "POST", `/matchmake/joinById/${roomId}`, { name: `S${i}`, protocol: PROTOCOL_VERSION, spectate: true }),
      ),
    );
    assert.equal(answers.filter((r) => r.status === 200).length, MAX_SPECTATORS);
    const refused = answers.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.errorCode ?? r.body.error}`);
    assert.deepEqual(refused, Array(7 * MAX_SPECTATORS).fill("409 spectators_full"));
  });
});

/**
 * A restored match (migration) that a spectator watches before its players
 * are back: a drain with no other process alive must still let the match
 * wait in Redis for the next process, as it does without the spectator
 * (migrationFaults.test.ts, "deploys in a row").
 */
describe("spectators and match migration", { skip }, () => {
  const cluster = new Cluster(DB);
  after(() => cluster.reset());

  it("a spectator in a restored match nobody is back in yet does not make a drain without a peer throw the match away", async () => {
    const { a, b, ann } = await cluster.scoredMatch({ SHUTDOWN_DEADLINE_SECONDS: "2" });
    const roomId = ann.room.roomId;
    b.child.kill("SIGTERM");
    await waitFor("A restores it", () => cluster.restoredLogs(roomId).length === 1, 5000);
    const watching = await new Client(a.endpoint).joinById(roomId, { name: "Sam", protocol: PROTOCOL_VERSION, spectate: true }, ArenaState);
    cluster.track(watching);
    await waitFor("the spectator sees the held players", () => watching.state.players.size === 2);
    a.child.kill("SIGTERM"); // before any player is back: no other process alive
    assert.equal((await a.exited).code, 0);
    assert.notEqual(await cluster.snapshotOf(roomId), null, "the match was thrown away because a spectator was connected");
  });
});
