import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Protocol, Room } from "@colyseus/sdk";
import {
  ArenaState,
  INPUT_GROUP_FRAMES,
  INPUT_GROUP_MAX_FRAMES,
  INPUT_GROUP_TYPE,
  InputFrameSchema,
  InputGroup,
  ROOM_DATA_BYTES,
  encodeInputGroup,
} from "@arena/shared";

/** A socket that records what the SDK sends on it (copies: the SDK reuses its buffers). */
class RecordingConnection {
  isOpen = true;
  readonly sent: Uint8Array[] = [];
  /** The very objects passed to send, as passed. */
  readonly passed: Uint8Array[] = [];
  send(data: Uint8Array): void {
    this.passed.push(data);
    this.sent.push(data.slice());
  }
}

/** A real SDK room and input handle, on a recording connection instead of a socket. */
function sdkRoom() {
  const room = new Room<any, ArenaState>("arena", ArenaState);
  const connection = new RecordingConnection();
  (room as unknown as { connection: RecordingConnection }).connection = connection;
  const input = room.input<InputFrameSchema>({ type: InputFrameSchema });
  return { room, connection, input };
}

/** The frames of a group, split as the server splits them. */
function framesOf(group: Uint8Array): Uint8Array[] {
  assert.deepEqual([...group.subarray(0, 2)], [ROOM_DATA_BYTES, INPUT_GROUP_TYPE]);
  const frames: Uint8Array[] = [];
  let at = 3;
  for (let i = 0; i < group[2]; i++) {
    const length = group[at++];
    frames.push(group.subarray(at, at + length));
    at += length;
  }
  assert.equal(at, group.length, "nothing after the last frame");
  return frames;
}

describe("the SDK's input handle (what InputGroup relies on, SDK 0.18.4)", () => {
  it("send() hands its frame to room.connection.send synchronously, once, as a view of a buffer the next send reuses", () => {
    const { connection, input } = sdkRoom();
    input.data.moveX = 1;
    assert.equal(input.send(), 1);
    assert.equal(connection.passed.length, 1, "sent before send() returned");
    assert.equal(connection.sent[0][0], Protocol.ROOM_INPUT_RELIABLE);
    input.data.moveX = -1;
    input.send();
    assert.equal(connection.passed.length, 2);
    assert.equal(connection.passed[0].buffer, connection.passed[1].buffer, "both frames are views of one scratch buffer: a group must copy");
  });

  it("reads room.connection at each send, and sends nothing (seq 0) while it is closed", () => {
    const { room, connection, input } = sdkRoom();
    connection.isOpen = false;
    assert.equal(input.send(), 0);
    assert.equal(connection.passed.length, 0);
    const other = new RecordingConnection();
    (room as unknown as { connection: RecordingConnection }).connection = other;
    assert.equal(input.send(), 1);
    assert.equal(other.passed.length, 1);
  });

  it("ROOM_DATA_BYTES is the opcode the group format says", () => {
    assert.equal(Protocol.ROOM_DATA_BYTES, ROOM_DATA_BYTES);
  });
});

describe("input groups", () => {
  it(`sends ${INPUT_GROUP_FRAMES} frames in one message, each exactly as the handle wrote it, numbered as the handle numbers them`, () => {
    const alone = sdkRoom();
    const grouped = sdkRoom();
    const group = new InputGroup(grouped.room, grouped.input);
    const seqs: number[] = [];
    for (let i = 0; i < INPUT_GROUP_FRAMES * 3; i++) {
      for (const { input } of [alone, grouped]) Object.assign(input.data, { moveX: i % 2, moveY: -0.5, aim: i * 0.1, fire: i % 3 === 0 });
      alone.input.send();
      seqs.push(group.send());
      assert.equal(grouped.connection.sent.length, Math.floor((i + 1) / INPUT_GROUP_FRAMES), "a message only once a group is full");
    }
    assert.deepEqual(
      seqs,
      Array.from({ length: INPUT_GROUP_FRAMES * 3 }, (_, i) => i + 1),
    );
    assert.equal(grouped.input.sentCount, seqs.length, "the handle counted every frame (its ack and replay stay in step)");
    assert.deepEqual(
      grouped.connection.sent.flatMap(framesOf).map((f) => [...f]),
      alone.connection.sent.map((f) => [...f]),
    );
  });

  it("puts nothing on the socket while the connection is closed, and holds nothing", () => {
    const { room, connection, input } = sdkRoom();
    const group = new InputGroup(room, input);
    connection.isOpen = false;
    assert.equal(group.send(), 0);
    assert.equal(group.held, 0);
    assert.equal(connection.passed.length, 0);
  });

  it("leaves the connection's own send in place after each frame", () => {
    const { room, connection, input } = sdkRoom();
    const group = new InputGroup(room, input);
    group.send();
    assert.equal(Object.hasOwn(connection, "send"), false);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares identities: the connection's send is its prototype's again, not a copy
    assert.equal(connection.send, RecordingConnection.prototype.send);
    room.send("chat", { text: "hi" });
    assert.equal(connection.sent.length, 1, "a message in between goes out at once, not into the group");
  });

  it("a closed connection drops the frames held, as a rejoin does", () => {
    const { room, connection, input } = sdkRoom();
    const group = new InputGroup(room, input, 3);
    group.send();
    group.send();
    connection.isOpen = false;
    group.flush();
    assert.equal(group.held, 0);
    assert.equal(connection.sent.length, 0);
  });

  it("size 1 sends each frame alone, as the handle does", () => {
    const { room, connection, input } = sdkRoom();
    const group = new InputGroup(room, input, 1);
    group.send();
    assert.equal(connection.sent.length, 1);
    assert.equal(connection.sent[0][0], Protocol.ROOM_INPUT_RELIABLE);
    assert.throws(() => new InputGroup(room, input, INPUT_GROUP_MAX_FRAMES + 1), RangeError);
    assert.throws(() => new InputGroup(room, input, 0), RangeError);
  });

  it("the format: header, count, a length byte per frame", () => {
    assert.deepEqual([...encodeInputGroup([Uint8Array.of(19), Uint8Array.of(147, 5, 0x80, 1)])], [17, INPUT_GROUP_TYPE, 2, 1, 19, 4, 147, 5, 0x80, 1]);
    assert.throws(() => encodeInputGroup([]), RangeError);
    assert.throws(() => encodeInputGroup(Array.from({ length: INPUT_GROUP_MAX_FRAMES + 1 }, () => Uint8Array.of(19))), RangeError);
    assert.throws(() => encodeInputGroup([new Uint8Array(256)]), RangeError);
  });
});
