import assert from "node:assert/strict";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { ReplayMeta } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { FileReplayStore, LIST_READS_MAX, ReplayTooLarge, STORED_REPLAY_MAX_BYTES } from "../../src/replays/FileReplayStore.ts";
import { createLogger } from "../../src/logger.ts";

const HOUR_MS = 3_600_000;

/** A store on `dir`, its log lines kept. */
function storeOn(dir: string, options: { keep?: number; maxAgeHours?: number; clock?: TestClock; own?: boolean } = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const store = new FileReplayStore({
    dir,
    keep: options.keep ?? 500,
    maxAgeHours: options.maxAgeHours ?? 168,
    log: createLogger("debug", sink),
    clock: options.clock,
    own: options.own,
  });
  return { store, lines };
}

let n = 0;
/** A meta with a fresh id (16 characters), ended `endedAt`. */
function metaOf(endedAt: number, mode = "ffa"): ReplayMeta {
  const id = `replay_${String(n++).padStart(9, "0")}`;
  return { id, roomId: "room1", mode, startedAt: Math.max(0, endedAt - 60_000), endedAt, ticks: 1800, players: ["Ann", "Bob"], bytes: 0 };
}

const bytesOf = (text: string) => new Uint8Array(gzipSync(text));

describe("FileReplayStore", () => {
  let root: string;
  let dirs = 0;
  const freshDir = () => join(root, `d${dirs++}`);
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "arena-replay-store-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("makes its directory readable and writable by this user only", async () => {
    const dir = freshDir();
    await storeOn(dir).store.open();
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it("refuses a directory that must be its own (the default, in the shared temp directory) and is a link, writable by others or another user's", async () => {
    const mine = freshDir();
    await storeOn(mine, { own: true }).store.open();
    const { store } = storeOn(mine, { own: true });
    await store.save(metaOf(1000), bytesOf("a replay"));

    const target = freshDir();
    await mkdir(target, { mode: 0o700 });
    const link = freshDir();
    await symlink(target, link);
    await assert.rejects(storeOn(link, { own: true }).store.open(), /is a symbolic link: another user could plant or remove replays there\. Set REPLAY_DIR/);
    // A directory set by hand is the operator's choice: a link is followed.
    await storeOn(link).store.open();

    const open = freshDir();
    await mkdir(open);
    await chmod(open, 0o777);
    await assert.rejects(storeOn(open, { own: true }).store.open(), /is writable by other users \(mode 777\)/);

    const file = freshDir();
    await writeFile(file, "not a directory");
    await assert.rejects(storeOn(file, { own: true }).store.open());

    // Another user's directory: only root can make one here to try.
    if (process.getuid?.() === 0) {
      const theirs = freshDir();
      await mkdir(theirs, { mode: 0o755 });
      await chown(theirs, 65534, 65534);
      await assert.rejects(storeOn(theirs, { own: true }).store.open(), /belongs to another user \(uid 65534\)/);
    }
  });

  it("checks its own directory again when a save has to make it again", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir, { own: true });
    await store.open();
    await rm(dir, { recursive: true });
    // Someone else's directory where the store's was, made while it was gone.
    await mkdir(dir);
    await chmod(dir, 0o777);
    await assert.rejects(store.save(metaOf(2000), bytesOf("a replay")), /is writable by other users/);
    assert.deepEqual(await readdir(dir), []);
  });

  it("lists and serves nothing from its own directory once it is not its own: a directory made by someone else while it was gone", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir, { own: true });
    await store.open();
    const mine = metaOf(1000);
    await store.save(mine, bytesOf("a replay"));
    assert.equal((await store.list()).length, 1);
    // A temp directory's cleaner removes it; another local user makes it again and plants a replay there.
    await rm(dir, { recursive: true });
    assert.deepEqual(await store.list(), []);
    assert.equal(await store.get(mine.id), null);
    await mkdir(dir);
    await chmod(dir, 0o777);
    if (process.getuid?.() === 0) await chown(dir, 65534, 65534);
    const planted = { ...metaOf(2000), bytes: 8 };
    await writeFile(join(dir, `${planted.id}.replay.gz`), bytesOf("planted"));
    await writeFile(join(dir, `${planted.id}.json`), JSON.stringify(planted));
    await assert.rejects(store.list(), /another user could plant or remove replays there/);
    await assert.rejects(store.get(planted.id), /another user could plant or remove replays there/);
  });

  it("keeps a replay as its bytes and its meta (the stored size filled in), lists it and gives it back; the directory holds only those two files", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    const meta = metaOf(1_000_000);
    const gzipped = bytesOf("a match");
    await store.save(meta, gzipped);
    assert.deepEqual((await readdir(dir)).sort(), [`${meta.id}.json`, `${meta.id}.replay.gz`]);
    const stored = { ...meta, bytes: gzipped.byteLength };
    assert.deepEqual(await store.list(), [stored]);
    const found = await store.get(meta.id);
    assert.deepEqual(found?.meta, stored);
    assert.deepEqual(Buffer.from(found.gzipped), Buffer.from(gzipped));
    // Another process's store on the same directory sees the same.
    const other = storeOn(dir).store;
    assert.deepEqual(await other.list(), [stored]);
    assert.deepEqual(Buffer.from((await other.get(meta.id))!.gzipped), Buffer.from(gzipped));
  });

  it("lists newest first (by the match's end)", async () => {
    const { store } = storeOn(freshDir());
    await store.open();
    const metas = [metaOf(3000), metaOf(1000), metaOf(2000)];
    for (const meta of metas) await store.save(meta, bytesOf(meta.id));
    assert.deepEqual(
      (await store.list()).map((m) => m.endedAt),
      [3000, 2000, 1000],
    );
  });

  it("answers null for ids that are not replay ids, without touching the disk, and for unknown ones", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    await writeFile(join(dir, "..json"), "{}");
    for (const id of ["", ".", "..", "../../etc/passwd", "a/b", "x".repeat(17), "x".repeat(15), "abcdefghijklmno%", "ĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀ"]) {
      assert.equal(await store.get(id), null, id);
    }
    assert.equal(await store.get("nothing_here_yet"), null);
    await assert.rejects(store.save({ ...metaOf(1), id: "../escape_12345" }, bytesOf("x")), /not a replay id/);
    assert.deepEqual(await readdir(dir), ["..json"], "nothing written");
  });

  it(`keeps REPLAY_KEEP replays: the oldest go after each save`, async () => {
    const dir = freshDir();
    const { store } = storeOn(dir, { keep: 3 });
    await store.open();
    const metas = [0, 1, 2, 3, 4].map((i) => metaOf(1000 + i));
    for (const [i, meta] of metas.entries()) {
      await store.save(meta, bytesOf(meta.id));
      // Ages by the meta file's time: one second apart.
      const t = new Date(Date.now() - (10 - i) * 1000);
      await utimes(join(dir, `${meta.id}.json`), t, t);
    }
    await store.save(metaOf(2000), bytesOf("last"));
    const ids = (await store.list()).map((m) => m.id);
    assert.equal(ids.length, 3);
    assert.deepEqual(ids.slice(1), [metas[4].id, metas[3].id]);
    assert.equal((await readdir(dir)).length, 6, "three replays, two files each");
    assert.equal(await store.get(metas[0].id), null);
  });

  it("removes replays older than REPLAY_MAX_AGE_HOURS", async () => {
    const dir = freshDir();
    const clock = new TestClock(Date.now());
    const { store } = storeOn(dir, { maxAgeHours: 2, clock });
    await store.open();
    const old = metaOf(1);
    await store.save(old, bytesOf("old"));
    const threeHoursAgo = new Date(Date.now() - 3 * HOUR_MS);
    await utimes(join(dir, `${old.id}.json`), threeHoursAgo, threeHoursAgo);
    const young = metaOf(2);
    await store.save(young, bytesOf("young"));
    assert.deepEqual(
      (await store.list()).map((m) => m.id),
      [young.id],
    );
    await clock.advance(2 * HOUR_MS + 60_000);
    await store.prune();
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await readdir(dir), []);
  });

  it("ignores and logs malformed metas (once), and other files in the directory", async () => {
    const dir = freshDir();
    const { store, lines } = storeOn(dir);
    await store.open();
    const good = metaOf(5);
    await store.save(good, bytesOf("good"));
    const bad = ["garbage_meta_001", "wrong_id_in_002_", "extra_field_0003", "huge_meta_000004"];
    await writeFile(join(dir, `${bad[0]}.json`), "{not json");
    await writeFile(join(dir, `${bad[1]}.json`), JSON.stringify({ ...good, id: "another_id_00000" }));
    await writeFile(join(dir, `${bad[2]}.json`), JSON.stringify({ ...good, id: bad[2], extra: 1 }));
    await writeFile(join(dir, `${bad[3]}.json`), "x".repeat(100_000));
    await writeFile(join(dir, "notes.txt"), "an operator's file");
    await writeFile(join(dir, "short.json"), "{}");
    for (let i = 0; i < 2; i++)
      assert.deepEqual(
        (await store.list()).map((m) => m.id),
        [good.id],
      );
    assert.equal(lines.filter((line) => line.includes("malformed replay meta")).length, bad.length, "each logged once");
    for (const id of bad) assert.equal(await store.get(id), null);
  });

  it("refuses a stored replay larger than the bound without reading it", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    const meta = metaOf(1);
    await store.save(meta, bytesOf("x"));
    await truncate(join(dir, `${meta.id}.replay.gz`), STORED_REPLAY_MAX_BYTES + 1); // sparse: no disk used
    await assert.rejects(store.get(meta.id), ReplayTooLarge);
  });

  it("answers null for a replay whose bytes another process removed after its meta was read", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    const meta = metaOf(1);
    await store.save(meta, bytesOf("x"));
    assert.equal((await store.list()).length, 1);
    await rm(join(dir, `${meta.id}.replay.gz`));
    assert.equal(await store.get(meta.id), null);
    await rm(join(dir, `${meta.id}.json`));
    assert.deepEqual(await store.list(), []);
  });

  it("two stores saving into and pruning the same directory at once lose nothing they keep and throw nothing (a file already gone is no error)", async () => {
    const dir = freshDir();
    const a = storeOn(dir, { keep: 5 });
    const b = storeOn(dir, { keep: 5 });
    await a.store.open();
    const saves = [];
    for (let i = 0; i < 40; i++) {
      const meta = metaOf(10_000 + i);
      saves.push((i % 2 === 0 ? a : b).store.save(meta, bytesOf(meta.id)));
    }
    await Promise.all(saves);
    await Promise.all([a.store.prune(), b.store.prune(), a.store.prune()]);
    const listed = await b.store.list();
    assert.equal(listed.length, 5);
    for (const meta of listed) assert.ok(await a.store.get(meta.id), meta.id);
    assert.equal((await readdir(dir)).length, 10, "no temp files or orphans left");
    for (const { lines } of [a, b])
      assert.deepEqual(
        lines.filter((line) => line.includes('"level":50')),
        [],
        "no errors logged",
      );
  });

  it("removes leftovers of saves cut short (a replay without its meta, temp files) once they are old, and leaves young ones", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    const orphan = "orphan_replay_01";
    const temp = `.${"tempfile_replay1"}.abc123.tmp`;
    const young = "young_orphan_001";
    await writeFile(join(dir, `${orphan}.replay.gz`), "x");
    await writeFile(join(dir, temp), "x");
    await writeFile(join(dir, `${young}.replay.gz`), "x");
    const anHourAgo = new Date(Date.now() - HOUR_MS);
    await utimes(join(dir, `${orphan}.replay.gz`), anHourAgo, anHourAgo);
    await utimes(join(dir, temp), anHourAgo, anHourAgo);
    await store.save(metaOf(1), bytesOf("x"));
    const names = await readdir(dir);
    assert.ok(!names.includes(`${orphan}.replay.gz`) && !names.includes(temp), names.join());
    assert.ok(names.includes(`${young}.replay.gz`), "a save in progress is left alone");
  });

  it(`reads at most ${LIST_READS_MAX} metas per listing, and each meta once`, async () => {
    const dir = freshDir();
    const { store, lines } = storeOn(dir, { keep: 10_000 });
    await store.open();
    const meta = metaOf(1);
    const total = LIST_READS_MAX + 50;
    await Promise.all(
      Array.from({ length: total }, (_, i) => {
        const id = `bulk_${String(i).padStart(11, "0")}`;
        return writeFile(join(dir, `${id}.json`), JSON.stringify({ ...meta, id }));
      }),
    );
    assert.equal((await store.list()).length, LIST_READS_MAX);
    assert.ok(lines.some((line) => line.includes("reading the first metas only")));
    assert.equal((await store.list()).length, total, "the rest on the next call");
    // Metas are read once: a rewritten file is not read again (a replay never changes).
    const first = (await store.list())[0];
    await writeFile(join(dir, `${first.id}.json`), "{not json");
    assert.deepEqual((await store.list())[0], first);
    assert.equal((await readFile(join(dir, `${first.id}.json`), "utf8")).length, 9);
  });

  it("lists nothing when the directory is gone, and makes it again at the next save", async () => {
    const dir = freshDir();
    const { store } = storeOn(dir);
    await store.open();
    await rm(dir, { recursive: true });
    assert.deepEqual(await store.list(), []);
    const meta = metaOf(1);
    await store.save(meta, bytesOf("x"));
    assert.equal((await store.list())[0].id, meta.id);
  });
});
