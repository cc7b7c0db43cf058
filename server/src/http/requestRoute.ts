import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/** Colyseus's matchmaking methods (`controller.exposedMethods` in core/src/matchmaker/controller.ts). */
export const MATCHMAKE_METHODS = ["joinOrCreate", "create", "join", "joinById", "reconnect"] as const;
export type MatchmakeMethod = (typeof MATCHMAKE_METHODS)[number];

/** What a request asks for, decided once, on the path every router of the server will route it on. */
export type RequestRoute =
  | { kind: "matchmake"; method: MatchmakeMethod; target: string }
  | { kind: "api"; path: string }
  | { kind: "other" }
  | { kind: "refused"; code: "bad_request" | "not_found" };

const isMethod = (s: string): s is MatchmakeMethod => (MATCHMAKE_METHODS as readonly string[]).includes(s);

/**
 * Routes a request the way the server's routers will, or refuses it when they
 * could disagree. Three routers read the same request differently:
 * - Colyseus's (core/src/router/index.ts) first looks the raw path up in its
 *   route table, then routes on `new Request(proto://host + req.url)`: a WHATWG
 *   URL, which turns `\` into `/`, resolves `.`, `..` and `%2e%2e`, and takes
 *   its host (and so, with a `/` in it, part of its path) from the client's
 *   Host and X-Forwarded-Proto headers; a Host that makes that URL invalid
 *   throws outside any handler and ends the process.
 * - Express routes on the raw path, with `/api` matched in any case.
 * - This gate, which must decide on the same path as the router that serves it.
 * So a request is served only when its raw path is exactly what the WHATWG
 * parser makes of it, both alone and behind the Host Colyseus would use, and
 * when the project's prefixes are spelled in lowercase; anything else gets
 * 400 (or 404 for a case variant), before any router sees it.
 */
export function routeOf(req: IncomingMessage): RequestRoute {
  const raw = req.url ?? "/";
  const rawPath = raw.split("?")[0];
  const seen = colyseusUrl(req);
  if (seen === null || seen.pathname !== rawPath || parsedPath(raw) !== rawPath) return { kind: "refused", code: "bad_request" };
  const [, prefix = "", method = "", target = "", ...rest] = rawPath.split("/");
  if (prefix === "api") return { kind: "api", path: rawPath.slice("/api".length) };
  if (prefix !== "matchmake") {
    return /^(api|matchmake)$/i.test(prefix) ? { kind: "refused", code: "not_found" } : { kind: "other" };
  }
  // Colyseus serves exactly /matchmake/<method>/<room name or id>, with one of its method names.
  if (!isMethod(method) || target === "" || rest.length > 0) return { kind: "refused", code: "not_found" };
  return { kind: "matchmake", method, target };
}

/** The URL Colyseus's router matches on, built exactly as core/src/router/index.ts does; null where that would throw. */
function colyseusUrl(req: IncomingMessage): URL | null {
  const protocol = req.headers["x-forwarded-proto"] || ((req.socket as TLSSocket).encrypted ? "https" : "http");
  const base = `${String(protocol)}://${String(req.headers[":authority"] || req.headers.host)}`;
  try {
    const url = new URL(base + (req.url ?? "/"));
    // `new Request` refuses a URL with credentials (a Host like `a@b`).
    return url.username === "" && url.password === "" ? url : null;
  } catch {
    return null;
  }
}

function parsedPath(raw: string): string | null {
  try {
    return new URL(raw, "http://x").pathname;
  } catch {
    return null;
  }
}

/**
 * The latency histogram's `method` label for a request, or undefined when it
 * is not timed. Prometheus keeps a series per label value, so the values come
 * from a fixed set, never from the path: a Colyseus method, `api:rooms`,
 * `api:private-rooms`, or `other` for a refused POST.
 */
export function latencyLabel(route: RequestRoute, httpMethod: string | undefined): string | undefined {
  if (route.kind === "api") {
    const first = route.path.split("/")[1];
    if (first === "rooms" && httpMethod === "GET") return "api:rooms";
    if (first === "private-rooms" && httpMethod === "POST") return "api:private-rooms";
    return undefined;
  }
  if (httpMethod !== "POST") return undefined;
  if (route.kind === "matchmake") return route.method;
  return route.kind === "refused" ? "other" : undefined;
}
