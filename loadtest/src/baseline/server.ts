/**
 * The baseline, written the way many people write it: Socket.IO 4 with
 * default settings (WebSocket transport only, no compression), the same
 * game rules (the shared step) at the same tick rate, inputs as Socket.IO
 * events, and one `emit` per room per tick of the full public state of every
 * player as JSON. PORT and ROOM_CAPACITY from the environment; GET /stats
 * answers bytes sent, clients and tick durations (and resets them with ?reset=1).
 */
import { createServer } from "node:http";
import { Server, type Socket } from "socket.io";
import {
  STEP_SECONDS, TICK_RATE_HZ, createPlainWorld, joinPlayer, leavePlayer, livePositions, newPlainPlayer, sanitizeInput, stepTick,
  type InputFrame, type PlainWorld, type SimEvent,
} from "@arena/shared";
import { InputBudget } from "../../../server/src/rooms/InputBudget.ts";

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
let bytesSent = 0;
/** WebSocket frames out and in (with the websocket transport, one Engine.IO packet is one frame). */
let framesSent = 0;
let framesReceived = 0;
let tickDurationsMs: number[] = [];
let tickIntervalsMs: number[] = [];
let lastTickStart: number | undefined;

const http = createServer((req, res) => {
  if (req.url?.startsWith("/stats")) {
    const body = JSON.stringify({ bytesSent, framesSent, framesReceived, clients: io.engine.clientsCount, tickDurationsMs, tickIntervalsMs, rooms: rooms.length });
    if (req.url.includes("reset=1")) { bytesSent = 0; framesSent = 0; framesReceived = 0; tickDurationsMs = []; tickIntervalsMs = []; }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, httpCompression: false, cors: { origin: "*" } });

io.on("connection", (socket: Socket) => {
  // Count every packet this socket sends (the encoded Socket.IO frame).
  socket.conn.on("packetCreate", (packet: { data?: unknown }) => {
    if (typeof packet.data === "string") bytesSent += Buffer.byteLength(packet.data) + 1;
    framesSent++;
  });
  socket.conn.on("packet", () => { framesReceived++; });
  socket.on("join", ({ name }: { name?: string }) => {
    let room = rooms.find((r) => r.world.players.size < CAPACITY);
    if (room === undefined) {
      room = { id: `r${nextRoom++}`, world: createPlainWorld("ffa", nextRoom), queues: new Map(), budget: new InputBudget() };
      rooms.push(room);
    }
    joinPlayer(room.world, socket.id, newPlainPlayer(), String(name ?? "bot").slice(0, 16));
    room.queues.set(socket.id, []);
    void socket.join(room.id);
    socket.emit("joined", { id: socket.id, room: room.id });
    const joined = room;
    socket.on("input", (frame: InputFrame) => {
      const queue = joined.queues.get(socket.id);
      if (queue !== undefined && queue.length < 16) queue.push(sanitizeInput({ ...frame }));
    });
    socket.on("disconnect", () => {
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
  stepTick(room.world, (id) => {
    const queue = room.queues.get(id) ?? [];
    const { run, discard } = room.budget.allow(id, queue.length);
    const frames = queue.splice(0, run);
    queue.splice(0, discard);
    return frames;
  }, STEP_SECONDS, () => livePositions, events);
  const players = [...room.world.players].map(([id, p]) => ({
    id, name: p.name, x: p.x, y: p.y, aim: p.aim, hp: p.hp, score: p.score, alive: p.alive, connected: p.connected, shielded: p.shielded,
  }));
  io.to(room.id).emit("state", {
    players,
    pickups: room.world.pickups.map((k) => ({ x: k.x, y: k.y, active: k.active })),
    phase: room.world.phase, round: room.world.round, secondsLeft: room.world.phaseSecondsLeft,
    events,
  });
}

http.listen(PORT, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port: PORT })));
