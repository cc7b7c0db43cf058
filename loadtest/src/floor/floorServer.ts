/**
 * The transport floor's server (floor.ts): a bare `ws` server that
 * does what the arena's transport does per player and nothing else. Every
 * message is counted and dropped; every `1000 / outHz` ms the same payload is
 * sent to every client, one frame each, as Colyseus sends a patch. Prints
 * `{"port":N}` once listening; stops on SIGTERM.
 */
import { WebSocketServer, type WebSocket } from "ws";

const outHz = Number(process.env.FLOOR_OUT_HZ ?? 20);
const outBytes = Number(process.env.FLOOR_OUT_BYTES ?? 90);

const clients = new Set<WebSocket>();
const payload = Buffer.alloc(outBytes, 7);
let received = 0;

// As ws-transport sets it up: no compression, a payload cap.
const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 4096 });
server.on("connection", (socket) => {
  clients.add(socket);
  socket.on("message", () => {
    received++;
  });
  socket.on("close", () => clients.delete(socket));
});
server.on("listening", () => {
  const address = server.address();
  if (typeof address === "object" && address !== null) process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

setInterval(() => {
  for (const socket of clients) socket.send(payload, { binary: true });
}, 1000 / outHz);

process.on("SIGTERM", () => {
  process.stdout.write(`${JSON.stringify({ received })}\n`);
  process.exit(0);
});
