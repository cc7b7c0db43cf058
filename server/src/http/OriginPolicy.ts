/**
 * Which web pages may open sockets and make matchmaking requests: those whose
 * `Origin` is in ALLOWED_ORIGINS, or, by default, only the server's own
 * origin (the page it serves). A request without `Origin` is not from a
 * browser page (native clients, bots): the other limits judge it. `*` allows
 * every origin.
 */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;
  readonly #any: boolean;

  constructor(allowed: readonly string[]) {
    this.#allowed = new Set(allowed.map((o) => o.replace(/\/$/, "").toLowerCase()));
    this.#any = this.#allowed.has("*");
  }

  allows(origin: string | null | undefined, host: string | null | undefined): boolean {
    if (origin === undefined || origin === null || origin === "") return true;
    if (this.#any) return true;
    const normalised = origin.toLowerCase();
    if (this.#allowed.has(normalised)) return true;
    // The server's own pages: the Origin names the host the request came to.
    return host !== undefined && host !== null && (normalised === `http://${host.toLowerCase()}` || normalised === `https://${host.toLowerCase()}`);
  }
}
