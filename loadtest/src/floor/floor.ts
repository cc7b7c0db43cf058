/**
 * The transport floor (`npm run bench:floor -w loadtest`, run.ts): what a
 * player costs a Node `ws` server that does nothing but receive the arena's
 * input messages and send it the arena's patch frames, at the same rates and
 * sizes. The arena's own figure (`npm run bench -- --scenario capacity`) less
 * this one is what Colyseus and the game add; this one is what no code above
 * the transport can remove. The server runs in its own process
 * (floorServer.ts), its CPU read from /proc; the clients are plain `ws`
 * sockets in this process, sending from one shared timer as the raw bots do.
 * Linux only.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { cpuMs } from "../bench/processStats.ts";

/** One step of the floor: per client-second figures at `clients` clients. */
export interface FloorStep {
  clients: number;
  serverCpuMsPerClientSecond: number;
  framesInPerClientSecond: number;
  framesOutPerClientSecond: number;
  botsCores: number;
}

/** The rates and sizes of a floor run (the arena's by default: transportFloor's CLI). */
export interface FloorOptions {
  clients: number;
  seconds: number;
  inHz: number;
  inBytes: number;
  outHz: number;
  outBytes: number;
  /** Measured after this long, ms (3 s by default). */
  warmUpMs?: number;
}

/** Runs the floor's server in a process of its own, `clients` plain `ws` clients against it, and measures one window. */
export async function measureFloor({ clients, seconds, inHz, inBytes, outHz, outBytes, warmUpMs = 3000 }: FloorOptions): Promise<FloorStep> {
  const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./floorServer.ts", import.meta.url))], {
    env: { ...process.env, FLOOR_OUT_HZ: String(outHz), FLOOR_OUT_BYTES: String(outBytes) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(server, "exit");
  const lines = createInterface({ input: server.stdout });
  const sockets: WebSocket[] = [];
  let framesOut = 0;
  try {
    // Its port, or its exit before it printed one (a failure, not a wait for ever).
    const first = await new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      void exited.then(([code, signal]) => reject(new Error(`the floor server stopped before it listened (${signal ?? `exit code ${code}`})`)));
    });
    const { port } = JSON.parse(first) as { port: number };
    for (let i = 0; i < clients; i += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, clients - i) }, async () => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
          socket.on("message", () => {
            framesOut++;
          });
          await once(socket, "open");
          sockets.push(socket);
        }),
      );
    }
    const input = Buffer.alloc(inBytes, 3);
    let framesIn = 0;
    const sender = setInterval(() => {
      for (const socket of sockets) socket.send(input, { binary: true });
      framesIn += sockets.length;
    }, 1000 / inHz);
    await new Promise((resolve) => setTimeout(resolve, warmUpMs));
    const cpu0 = cpuMs(server.pid!);
    const bots0 = process.cpuUsage();
    const in0 = framesIn;
    const out0 = framesOut;
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = cpuMs(server.pid!) - cpu0;
    const bots = process.cpuUsage(bots0);
    clearInterval(sender);
    const clientSeconds = clients * elapsedS;
    return {
      clients,
      serverCpuMsPerClientSecond: cpu / clientSeconds,
      framesInPerClientSecond: (framesIn - in0) / clientSeconds,
      framesOutPerClientSecond: (framesOut - out0) / clientSeconds,
      botsCores: (bots.user + bots.system) / 1000 / 1000 / elapsedS,
    };
  } finally {
    for (const socket of sockets) socket.terminate();
    server.kill("SIGTERM");
    await exited;
  }
}
