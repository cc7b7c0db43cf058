import { GAME_MODES, TICK_RATE_HZ, type ReplayMeta } from "@arena/shared";
import { fetchReplayList, replayLink } from "../net/replays.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** Rows shown; the server lists up to 100. */
const ROWS_MAX = 20;

/**
 * The menu's "Replays" section: the matches the server keeps (`GET
 * /api/replays`), newest first, each a link to `/?replay=<id>`. Hidden when
 * the server keeps none (REPLAY_DIR=off). Names are set as text, never HTML.
 */
export class ReplayList {
  readonly #section = $<HTMLElement>("replays-section");
  readonly #list = $<HTMLUListElement>("replay-list");
  readonly #empty = $<HTMLParagraphElement>("replays-empty");

  constructor(private readonly endpoint: string) {}

  /** Asks the server again (each time the menu shows: a match just played may have ended). Never rejects. */
  async refresh(): Promise<void> {
    let replays: ReplayMeta[] | null;
    try {
      replays = await fetchReplayList(this.endpoint);
    } catch {
      this.#section.hidden = false;
      this.#list.replaceChildren();
      this.#empty.hidden = false;
      this.#empty.textContent = "The replays could not be loaded.";
      return;
    }
    this.#section.hidden = replays === null;
    if (replays === null) return;
    this.#empty.hidden = replays.length > 0;
    this.#empty.textContent = "No replays yet: a match is kept when it ends.";
    this.#list.replaceChildren(...replays.slice(0, ROWS_MAX).map((meta) => row(meta)));
  }
}

function row(meta: ReplayMeta): HTMLLIElement {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = replayLink(meta.id);
  link.dataset.replayId = meta.id;
  const mode = GAME_MODES[meta.mode as keyof typeof GAME_MODES]?.label ?? meta.mode;
  const seconds = Math.round(meta.ticks / TICK_RATE_HZ);
  const when = new Date(meta.endedAt).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  link.textContent = `${mode}, ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}: ${meta.players.join(", ")} (${when})`;
  item.append(link);
  return item;
}
