import { WebSocket } from "ws";

// Colyseus 0.18 checks `client.readyState !== WebSocket.OPEN` when a dropped
// player rejoins, and Node 20 has no global WebSocket (Node 22 does). The ws
// package's class has the same constants.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
