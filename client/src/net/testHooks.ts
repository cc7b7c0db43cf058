/** The health answer is small and local: past this, the page goes on without test actions, ms. */
const HEALTH_TIMEOUT_MS = 3000;

/**
 * Whether the server accepts the test-only socket messages (`__test:drop`,
 * `__test:place`): its `GET /api/health` says `"testHooks": true` only when
 * it was started with ENABLE_TEST_HOOKS, which production refuses. No
 * answer, or any other answer, is no.
 */
export async function serverHasTestHooks(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(new URL("/api/health", endpoint), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    const body: unknown = await res.json();
    return typeof body === "object" && body !== null && (body as { testHooks?: unknown }).testHooks === true;
  } catch {
    return false;
  }
}
