/**
 * JSON over HTTP against a test server. The body is parsed JSON (or the text
 * when it is not JSON), for tests to assert on.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- read by tests and benchmarks, which take untyped bodies on purpose (eslint.config.js); unknown would ask ~90 call sites for a cast each
export async function request(
  endpoint: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
