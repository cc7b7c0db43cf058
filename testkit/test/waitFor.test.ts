import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../src/waitFor.ts";

describe("waitFor", () => {
  it("resolves with the first truthy value the check returns", async () => {
    let calls = 0;
    assert.equal(await waitFor("the third call", () => ++calls >= 3 && calls), 3);
  });

  it("fails after the timeout with what it waited for and the check's last error", async () => {
    await assert.rejects(
      waitFor(
        "Godot",
        () => {
          throw new Error("not yet");
        },
        50,
      ),
      /^Error: timed out after 50 ms waiting for Godot: Error: not yet$/,
    );
  });

  it("fails at once with the reason when its signal is aborted", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("the child exited")), 20);
    await assert.rejects(
      waitFor("never", () => false, { timeoutMs: 10_000, signal: controller.signal }),
      /^Error: the child exited$/,
    );
    assert.ok(Date.now() - started < 1000);
  });
});
