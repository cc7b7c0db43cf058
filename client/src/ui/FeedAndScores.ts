import type { View } from "../net/GameSession.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * The kill feed and, between rounds, the scoreboard: drawn from a view in a
 * match (Hud) and in a replay (ReplayPage). Each is redrawn only when it
 * changes; names are players' text, set as text, never as HTML.
 */
export class FeedAndScores {
  #lastFeed: readonly string[] = [];
  #scoreboardShown = false;

  /** Shows the feed (the scoreboard shows itself between rounds), or hides both. */
  setShown(shown: boolean): void {
    $("feed").hidden = !shown;
    if (!shown) {
      $("scoreboard").hidden = true;
      this.#scoreboardShown = false;
    }
  }

  render(view: Pick<View, "feed" | "scoreboard">): void {
    if (view.feed !== this.#lastFeed) {
      this.#lastFeed = view.feed;
      $("feed").replaceChildren(...view.feed.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
    }
    const board = view.scoreboard;
    if ((board !== undefined) !== this.#scoreboardShown) {
      this.#scoreboardShown = board !== undefined;
      $("scoreboard").hidden = board === undefined;
      $("scoreboard-list").replaceChildren(
        ...(board ?? []).map((line) => Object.assign(document.createElement("li"), { textContent: `${line.name}: ${line.score}` })),
      );
    }
  }
}
