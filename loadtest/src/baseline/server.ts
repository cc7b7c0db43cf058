/**
 * The baseline, written the way many people write it: Socket.IO 4 with
 * default settings (WebSocket transport only, no compression), the same
 * game rules (the shared step) at the same tick rate, inputs as Socket.IO
 * events, and one `emit` per room per tick of the full public state of every
 * player as JSON. PORT and ROOM_CAPACITY from the environment; GET /stats
 * answers bytes and frames sent, frames received, clients and tick durations
 * (and resets them with ?reset=1). Bytes and frames sent mean what the
 * arena's arena_bytes_sent_total and arena_frames_sent_total mean: bytes
 * written to players' TCP sockets since they joined (the sockets' own
 * counts), and frames of the game's stream, one per player per state emit.
 */
import { createServer } from "node:http";
import { Server, type Socket } from "socket.io";
import {
  STEP_SECONDS,
  TICK_RATE_HZ,
  createPlainWorld,
  joinPlayer,
  leavePlayer,
  livePositions,
  newPlainPlayer,
  sanitizeInput,
  stepTick,
  type InputFrame,
  type PlainWorld,
  type SimEvent,
} from "@arena/shared";
import { InputBudget } from "@arena/shared";

const PORT = Number(process.env.PORT ?? 3567);
const CAPACITY = Number(process.env.ROOM_CAPACITY ?? 8);

interface BaselineRoom {
  id: string;
  world: PlainWorld;
  queues: Map<string, InputFrame[]>;
  budget: InputBudget;
}

const rooms: BaselineRoom[] = [];
let nextRoom = 0;
/** Players' TCP sockets, with what each had written when it joined; closed ones leave their total. */
const playerSockets = new Map<{ readonly bytesWritten: number }, number>();
let closedSocketsBytes = 0;
let bytesSentAtReset = 0;
/** WebSocket frames out (state emits, one per recipient) and in (with the websocket transport, one Engine.IO packet is one frame). */
let framesSent = 0;
let framesReceived = 0;

function bytesSent(): number {
  let bytes = closedSocketsBytes;
  for (const [socket, before] of playerSockets) bytes += socket.bytesWritten - before;
  return bytes;
}
let tickDurationsMs: number[] = [];
let tickIntervalsMs: number[] = [];
let lastTickStart: number | undefined;

const http = createServer((req, res) => {
  if (req.url?.startsWith("/stats")) {
    const bytes = bytesSent();
    const body = JSON.stringify({
      bytesSent: bytes - bytesSentAtReset,
      framesSent,
      framesReceived,
      clients: io.engine.clientsCount,
      tickDurationsMs,
      tickIntervalsMs,
      rooms: rooms.length,
    });
    if (req.url.includes("reset=1")) {
      bytesSentAtReset = bytes;
      framesSent = 0;
      framesReceived = 0;
      tickDurationsMs = [];
      tickIntervalsMs = [];
    }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, httpCompression: false, cors: { origin: "*" } });

io.on("connection", (socket: Socket) => {
  socket.conn.on("packet", () => {
    framesReceived++;
  });
  socket.on("join", ({ name }: { name?: string }) => {
    let room = rooms.find((r) => r.world.players.size < CAPACITY);
    if (room === undefined) {
      room = { id: `r${nextRoom++}`, world: createPlainWorld("ffa", nextRoom), queues: new Map(), budget: new InputBudget() };
      rooms.push(room);
    }
    joinPlayer(room.world, socket.id, newPlainPlayer(), String(name ?? "bot").slice(0, 16));
    // The TCP socket the WebSocket was upgraded on (Engine.IO keeps the upgrade request).
    const tcp = socket.request.socket;
    playerSockets.set(tcp, tcp.bytesWritten);
    room.queues.set(socket.id, []);
    void socket.join(room.id);
    socket.emit("joined", { id: socket.id, room: room.id });
    const joined = room;
    socket.on("input", (frame: InputFrame) => {
      const queue = joined.queues.get(socket.id);
      if (queue !== undefined && queue.length < 16) queue.push(sanitizeInput({ ...frame }));
    });
    socket.on("disconnect", () => {
      closedSocketsBytes += tcp.bytesWritten - (playerSockets.get(tcp) ?? 0);
      playerSockets.delete(tcp);
      leavePlayer(joined.world, socket.id);
      joined.queues.delete(socket.id);
      joined.budget.forget(socket.id);
      if (joined.world.players.size === 0) rooms.splice(rooms.indexOf(joined), 1);
    });
  });
});

/** Fixed timestep, as the Colyseus room runs it: whole steps for the time that passed, at most 5 at once. */
let last = performance.now();
let accumulated = 0;
setInterval(() => {
  const now = performance.now();
  accumulated += now - last;
  last = now;
  let ran = 0;
  while (accumulated >= 1000 / TICK_RATE_HZ && ran < 5) {
    accumulated -= 1000 / TICK_RATE_HZ;
    ran++;
    const started = performance.now();
    if (lastTickStart !== undefined) tickIntervalsMs.push(started - lastTickStart);
    lastTickStart = started;
    for (const room of rooms) tick(room);
    tickDurationsMs.push(performance.now() - started);
  }
  if (ran === 5) accumulated = 0;
}, 1000 / TICK_RATE_HZ);

function tick(room: BaselineRoom): void {
  const events: SimEvent[] = [];
  stepTick(
    room.world,
    (id) => {
      const queue = room.queues.get(id) ?? [];
      const { run, discard } = room.budget.allow(id, queue.length);
      const frames = queue.splice(0, run);
      queue.splice(0, discard);
      return frames;
    },
    STEP_SECONDS,
    () => livePositions,
    events,
  );
  const players = [...room.world.players].map(([id, p]) => ({
    id,
    name: p.name,
    x: p.x,
    y: p.y,
    aim: p.aim,
    hp: p.hp,
    score: p.score,
    alive: p.alive,
    connected: p.connected,
    shielded: p.shielded,
  }));
  framesSent += io.sockets.adapter.rooms.get(room.id)?.size ?? 0;
  io.to(room.id).emit("state", {
    players,
    pickups: room.world.pickups.map((k) => ({ x: k.x, y: k.y, active: k.active })),
    phase: room.world.phase,
    round: room.world.round,
    secondsLeft: room.world.phaseSecondsLeft,
    events,
  });
}

http.listen(PORT, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port: PORT })));
