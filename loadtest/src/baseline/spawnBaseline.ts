import { fileURLToPath } from "node:url";
import { freePort, spawnListening } from "@arena/testkit";

const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));

/** The Socket.IO baseline in a process of its own, on a free loopback port; `stop` resolves once it has exited. */
export async function spawnBaseline(roomSize: number): Promise<{ endpoint: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await spawnListening(["--import", "tsx", SERVER], {
    name: "the baseline",
    env: { PORT: String(port), ROOM_CAPACITY: String(roomSize) },
  });
  return { endpoint: proc.endpoint, pid: proc.child.pid!, stop: () => proc.stop() };
}
