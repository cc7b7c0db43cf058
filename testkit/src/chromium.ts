import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Chromium for the browser tests: Debian's package (`apt-get install
 * chromium`), or CHROMIUM_PATH. Without it the tests are skipped with the
 * reason, except under CI=true, where a missing browser is a failure.
 * (A subpath of its own, `@arena/testkit/chromium`: importing playwright-core takes about a second.)
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  const reason = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** Headless, as root, on the closed network: no sandbox, no GPU, no calls home (notes: browser-e2e.md). */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--enable-unsafe-swiftshader",
      // Two pages play at once: neither may be throttled as a background tab.
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ],
  });
}
