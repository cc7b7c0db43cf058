import { Client } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, freePort, request, type ServerProcess, spawnServer, TestPlayer, useDatabase, waitFor } from "@arena/testkit";
import { scoreAndWound } from "./players.ts";

/** A seat's grace in the migration tests, s: short, so expiries can be watched. */
export const GRACE_SECONDS = 8;

/** What the tests read of a stored match snapshot. */
export interface Snapshot {
  roomId: string;
  version: number;
  savedAt: number;
  world: { round: number; phaseSecondsLeft: number; players: [string, Record<string, number | string | boolean>][] };
  seats: { sessionId: string; tokens: string[]; droppedAt: number | null }[];
}

export type Started = ServerProcess & { processId: string };

/**
 * Game processes on one Redis database of a test's own, and SDK players who
 * follow their match with `client.reconnect` (the migration tests). `close`
 * stops everything and empties the database.
 */
export class Cluster {
  readonly procs: Started[] = [];
  readonly players: TestPlayer[] = [];
  #db: Awaited<ReturnType<typeof useDatabase>> | undefined;
  #redis: Redis | undefined;

  constructor(private readonly dbNumber: number) {}

  get redis(): Redis {
    return this.#redis!;
  }

  get dbUrl(): string {
    return this.#db!.url;
  }

  async start(env: Record<string, string> = {}): Promise<Started> {
    this.#db ??= await useDatabase(this.dbNumber);
    this.#redis ??= new Redis(this.#db.url);
    const port = await freePort();
    const proc = await spawnServer({
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: this.#db.url,
      RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
      SHUTDOWN_DEADLINE_SECONDS: "30",
      ENABLE_TEST_HOOKS: "1",
      RATE_JOINS_PER_MINUTE: "100000",
      RATE_CONNECTIONS_PER_MINUTE: "100000",
      RATE_FAILED_JOINS_PER_HOUR: "100000",
      RATE_CODE_LOOKUPS_PER_MINUTE: "100000",
      RATE_CREATES_PER_MINUTE: "100000",
      ...env,
    });
    const { processId } = (await request(proc.endpoint, "GET", "/api/health")).body;
    const started = Object.assign(proc, { processId: processId as string });
    this.procs.push(started);
    return started;
  }

  track(room: unknown): TestPlayer {
    const player = new TestPlayer(room as ArenaRoomClient);
    // The SDK's own reconnection reopens the old process's address: migration needs client.reconnect.
    player.room.reconnection.enabled = false;
    this.players.push(player);
    return player;
  }

  /** A match on `host` (the only process yet): Ann creates it, Bob and the others join by id. */
  async matchOn(host: ServerProcess, ...others: string[]): Promise<TestPlayer[]> {
    const ann = this.track(await new Client(host.endpoint).create("arena", { name: "Ann", protocol: PROTOCOL_VERSION }, ArenaState));
    const rest = [];
    for (const name of ["Bob", ...others]) {
      rest.push(this.track(await new Client(host.endpoint).joinById(ann.room.roomId, { name, protocol: PROTOCOL_VERSION }, ArenaState)));
    }
    await waitFor("everyone in", () => ann.state.players.size === 1 + rest.length);
    return [ann, ...rest];
  }

  /**
   * A match on B (the only process then) in which Ann has killed Bob, after
   * which nobody moves; a second process, A; B's snapshot up to date.
   */
  async scoredMatch(env: Record<string, string> = {}): Promise<{ a: Started; b: Started; ann: TestPlayer; bob: TestPlayer }> {
    const b = await this.start(env);
    const [ann, bob] = await this.matchOn(b);
    bob.play();
    await scoreAndWound(ann, bob);
    ann.pause();
    bob.pause();
    const a = await this.start(env);
    await this.settledSnapshot(ann);
    return { a, b, ann, bob };
  }

  async snapshotOf(roomId: string): Promise<Snapshot | null> {
    const json = await this.redis.hget(`arena:match:${roomId}`, "snapshot");
    return json === null ? null : (JSON.parse(json) as Snapshot);
  }

  /** Waits until the stored snapshot shows what the players see now (nobody moving). */
  settledSnapshot(player: TestPlayer): Promise<Snapshot> {
    return waitFor(
      "a snapshot of the match as it stands",
      async () => {
        const snapshot = await this.snapshotOf(player.room.roomId);
        if (snapshot === null) return null;
        const seen = new Map<string, Record<string, unknown>>();
        player.state.players.forEach((p, id) => seen.set(id, p.toJSON()));
        const same =
          snapshot.world.players.length === seen.size &&
          snapshot.world.players.every(([id, p]) => (["name", "x", "y", "hp", "score", "alive"] as const).every((f) => seen.get(id)?.[f] === p[f]));
        return same ? snapshot : null;
      },
      5000,
    );
  }

  /** `client.reconnect(token)` through `via` until it works (the documented way after a migration). */
  async comeBack(player: TestPlayer, via: ServerProcess, token = player.room.reconnectionToken, timeoutMs = 10_000): Promise<TestPlayer> {
    const client = new Client(via.endpoint);
    const room = await waitFor(`${player.id} back in the match`, async () => client.reconnect(token, ArenaState), timeoutMs);
    return this.track(room);
  }

  /** "match restored" log lines of a room, on every process so far. */
  restoredLogs(roomId: string): Record<string, unknown>[] {
    return this.procs.flatMap((p) => p.logs.filter((l) => l.msg === "match restored" && l.roomId === roomId));
  }

  async listing(via: ServerProcess): Promise<{ roomId: string; processId: string; players: number }[]> {
    return (await request(via.endpoint, "GET", "/api/rooms")).body.rooms;
  }

  /** Players leave, processes stop, the database is emptied (for the next test). */
  async reset(): Promise<void> {
    await Promise.all(this.players.splice(0).map((p) => p.leave()));
    await Promise.all(this.procs.splice(0).map((p) => p.stop()));
    await this.#db?.flush();
    this.#db = undefined;
    this.#redis?.disconnect();
    this.#redis = undefined;
  }
}
