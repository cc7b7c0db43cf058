import { GAME_MODES, normaliseName, type RoomListing } from "@arena/shared";

/** ", 2 watching" when anyone watches a room, else nothing. */
function watchingText(room: RoomListing): string {
  return room.spectators > 0 ? `, ${room.spectators} watching` : "";
}

export interface MenuActions {
  quickPlay(name: string, mode: string): Promise<void>;
  createPrivate(name: string, mode: string): Promise<void>;
  joinByCode(code: string, name: string): Promise<void>;
  joinRoom(roomId: string, name: string): Promise<void>;
  /** Watch a public room as a spectator. */
  watchRoom(roomId: string, name: string): Promise<void>;
  /** Watch a private room, by its code, as a spectator. */
  watchByCode(code: string, name: string): Promise<void>;
}

/** The name a spectator joins with when the name field has none that is valid: spectators' names are shown nowhere. */
const SPECTATOR_NAME = "Spectator";

const NAME_KEY = "arena.name";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * The HTML menu over the canvas: a name remembered between visits, quick
 * play, private rooms, join or watch by code and the live list of public
 * rooms (each to join or to watch). Real buttons and labels, reachable by
 * keyboard.
 */
export class Menu {
  readonly #root = $<HTMLElement>("menu");
  readonly #error = $<HTMLParagraphElement>("menu-error");
  readonly #name = $<HTMLInputElement>("name");
  readonly #mode = $<HTMLSelectElement>("mode");
  readonly #code = $<HTMLInputElement>("code");
  readonly #rooms = $<HTMLUListElement>("room-list");
  readonly #roomsEmpty = $<HTMLParagraphElement>("rooms-empty");

  constructor(private readonly actions: MenuActions) {
    this.#name.value = localStorage.getItem(NAME_KEY) ?? "";
    this.#name.addEventListener("change", () => localStorage.setItem(NAME_KEY, this.#name.value.trim()));
    $("quick-play").addEventListener("click", () => void this.run((name) => actions.quickPlay(name, this.#mode.value)));
    $("create-private").addEventListener("click", () => void this.run((name) => actions.createPrivate(name, this.#mode.value)));
    $("code-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const code = this.#code.value.trim();
      if (code === "") return this.fail("Type the code your friend gave you.", this.#code);
      // Two submit buttons: Join by code (and Enter in the field), or Watch.
      if (event.submitter?.id === "watch-code") void this.runWatching((name) => actions.watchByCode(code, name));
      else void this.run((name) => actions.joinByCode(code, name));
    });
  }

  get visible(): boolean {
    return !this.#root.hidden;
  }

  show(error = ""): void {
    this.#root.hidden = false;
    this.#error.textContent = error;
    this.setBusy(false);
    (error && this.#name.value ? $("quick-play") : this.#name).focus();
  }

  hide(): void {
    this.#root.hidden = true;
  }

  /** The name field, or null (with a message) if it is not a valid name. */
  name(): string | null {
    const name = normaliseName(this.#name.value);
    if (name === null) {
      this.fail("Choose a name of 1 to 16 characters first.", this.#name);
      return null;
    }
    localStorage.setItem(NAME_KEY, name);
    return name;
  }

  /** Puts an invite's code in the field, so one click joins once a name is chosen. */
  prefillCode(code: string): void {
    this.#code.value = code;
  }

  setRooms(rooms: RoomListing[]): void {
    this.#roomsEmpty.hidden = rooms.length > 0;
    this.#rooms.replaceChildren(
      ...rooms.map((room) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        const label = GAME_MODES[room.mode as keyof typeof GAME_MODES]?.label ?? room.mode;
        button.textContent = `${label}: ${room.players} / ${room.capacity} players${watchingText(room)}`;
        button.disabled = room.locked;
        button.addEventListener("click", () => void this.run((name) => this.actions.joinRoom(room.roomId, name)));
        item.append(button, this.watchButton(room));
        return item;
      }),
    );
  }

  /** A room row's Watch button: a full room can still be watched. */
  private watchButton(room: RoomListing): HTMLButtonElement {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "watch secondary";
    button.textContent = "Watch";
    button.dataset.roomId = room.roomId;
    button.setAttribute("aria-label", `Watch this room (${room.players} players${watchingText(room)})`);
    button.addEventListener("click", () => void this.runWatching((name) => this.actions.watchRoom(room.roomId, name)));
    return button;
  }

  /**
   * Runs a spectator's action: with the name field's name if it is a valid
   * one, else a plain "Spectator" (nobody sees a spectator's name, so none
   * is asked for). Never rejects, as `run`.
   */
  async runWatching(action: (name: string) => Promise<void>): Promise<void> {
    const name = normaliseName(this.#name.value) ?? SPECTATOR_NAME;
    await this.attempt(() => action(name));
  }

  /**
   * Runs a menu action with the current name; shows its error as a sentence.
   * Never rejects (the action's error is the menu's to show), so the buttons'
   * handlers leave the promise.
   */
  async run(action: (name: string) => Promise<void>): Promise<void> {
    const name = this.name();
    if (name === null) return;
    await this.attempt(() => action(name));
  }

  private async attempt(action: () => Promise<void>): Promise<void> {
    this.#error.textContent = "";
    this.setBusy(true);
    try {
      await action();
    } catch (error) {
      this.show((error as Error).message);
    } finally {
      this.setBusy(false);
    }
  }

  private fail(message: string, focus: HTMLElement): void {
    this.#error.textContent = message;
    focus.focus();
  }

  private setBusy(busy: boolean): void {
    for (const button of this.#root.querySelectorAll("button")) button.toggleAttribute("aria-busy", busy);
    for (const id of ["quick-play", "create-private", "join-code", "watch-code"]) $<HTMLButtonElement>(id).disabled = busy;
  }
}
