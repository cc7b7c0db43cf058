import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnListening } from "../src/spawnListening.ts";
import { waitFor } from "../src/waitFor.ts";

/** `node -e` programs standing in for a server. */
const says = (line: object, then = "") => ["-e", `console.log(${JSON.stringify(JSON.stringify(line))}); ${then}`];
const FOREVER = "setInterval(() => {}, 1000);";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("spawnListening", () => {
  it("resolves with the port of the child's listening line; stop() kills it", async () => {
    const proc = await spawnListening(says({ msg: "listening", port: 1234 }, FOREVER));
    assert.equal(proc.port, 1234);
    assert.equal(proc.endpoint, "http://127.0.0.1:1234");
    assert.deepEqual(proc.logs, [{ msg: "listening", port: 1234 }]);
    await proc.stop();
    assert.deepEqual(await proc.exited, { code: null, signal: "SIGKILL" });
  });

  it("fails at once, with the exit code and the end of stderr, when the child exits before it listens", async () => {
    const started = Date.now();
    await assert.rejects(
      spawnListening(["-e", "console.error('PORT: not a number'); process.exit(78)"], { name: "the server", timeoutMs: 20_000 }),
      (error: Error) => {
        assert.match(error.message, /^the server exited before it was listening \(exit code 78\)/);
        assert.match(error.message, /stderr: \nPORT: not a number$/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms, not at once`);
  });

  it("quotes stdout when the child said nothing on stderr, and names a fatal signal", async () => {
    await assert.rejects(spawnListening(says({ msg: "could not start" }, "process.kill(process.pid, 'SIGKILL');")), (error: Error) => {
      assert.match(error.message, /\(signal SIGKILL\); nothing on stderr; its output: \n\{"msg":"could not start"\}$/);
      return true;
    });
  });

  it("fails at once when the program cannot be started at all", async () => {
    await assert.rejects(spawnListening([], { node: { execPath: "/nonexistent/node" } }), /did not start: .*ENOENT/);
  });

  it("kills a child that is not listening in time, and fails with its output", async () => {
    let pid = 0;
    await assert.rejects(spawnListening(["-e", `console.log(process.pid); ${FOREVER}`], { timeoutMs: 1000 }), (error: Error) => {
      assert.match(error.message, /^timed out after 1000 ms waiting for the child process to listen; its output: \n\d+$/);
      pid = Number(/\d+$/.exec(error.message)![0]);
      return true;
    });
    await waitFor(`process ${pid} to be gone`, () => !alive(pid));
  });

  it("an exit after the child listens is the caller's to read in `exited`, not an error", async () => {
    const proc = await spawnListening(says({ msg: "listening", port: 1 }, "setTimeout(() => process.exit(3), 50);"));
    assert.deepEqual(await proc.exited, { code: 3, signal: null });
    await proc.stop();
  });
});
