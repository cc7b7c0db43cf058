import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { ErrorCode } from "@arena/shared";
import { REPLAY_ID, recordMatch } from "@arena/testkit";
import { ReplayUnavailable, fetchReplay } from "../../src/net/replays.ts";

/**
 * A stand-in for the replay route (the subject is the page's download): it
 * answers `replays_busy` the first `busyFor` times, then the replay.
 */
async function replayServer(busyFor: number): Promise<{ endpoint: string; requests: () => number; server: Server }> {
  const bytes = recordMatch(1, 30).bytes;
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    if (requests <= busyFor) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
      res.end(JSON.stringify({ code: 503, error: `replays_busy: ${ErrorCode.replays_busy.message}`, errorCode: "replays_busy" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.byteLength });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, server };
}

describe("a replay's download (fetchReplay)", () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it("asks again while the server is busy checking other replays, and gets the replay", async () => {
    const { endpoint, requests, server } = await replayServer(2);
    servers.push(server);
    const replay = await fetchReplay(endpoint, REPLAY_ID);
    assert.equal(replay.meta.id, REPLAY_ID);
    assert.equal(requests(), 3);
  });

  it("says the server is busy once it has asked a few times", async () => {
    const { endpoint, requests, server } = await replayServer(100);
    servers.push(server);
    await assert.rejects(fetchReplay(endpoint, REPLAY_ID), (e: Error) => e instanceof ReplayUnavailable && e.message === ErrorCode.replays_busy.message);
    assert.equal(requests(), 4, "the first request and three more");
  });
});
