import http from "node:http";

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

/**
 * POSTs a JSON body through `agent` (kept-alive connections: what a bench's
 * bots use where fetch would cost them more than the server); resolves with
 * the status and the parsed answer, rejects on an answer that is not JSON.
 */
export function postJson(url: string, body: unknown, agent: http.Agent): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch (error) {
            reject(new Error(`${url} answered ${res.statusCode} with no JSON: ${text.slice(0, 200)}`, { cause: error }));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
