import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../server/test/helpers/redis.ts";
import { waitFor } from "../../../server/test/helpers/waitFor.ts";

const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));

/** The Socket.IO baseline in a process of its own, on a free loopback port. */
export async function spawnBaseline(roomSize: number): Promise<{ endpoint: string; pid: number; stop(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
    env: { ...process.env, PORT: String(port), ROOM_CAPACITY: String(roomSize) },
    stdio: "ignore",
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor("the baseline to listen", () => fetch(`${endpoint}/stats`).then((r) => r.ok), 20_000);
  return { endpoint, pid: child.pid!, stop: () => child.kill("SIGKILL") };
}
