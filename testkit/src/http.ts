/** A parsed answer, read untyped by tests and benchmarks on purpose (eslint.config.js): `unknown` would ask ~90 call sites for a cast each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type ResponseBody = any;

/**
 * JSON over HTTP against a test server. The body is parsed JSON (or the text
 * when it is not JSON), for tests to assert on.
 */
export async function request(
  endpoint: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: ResponseBody; headers: Headers }> {
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
