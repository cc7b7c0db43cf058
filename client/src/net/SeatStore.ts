const SEAT_KEY = "arena.seat";

/** A seat remembered in sessionStorage (per tab), so a reload within the grace window rejoins. */
export interface SavedSeat {
  token: string;
  endpoint: string;
  graceMs: number;
  /** When the seat was last known alive; the grace window runs from about then. */
  savedAt: number;
}

export class SeatStore {
  constructor(private readonly storage: Storage | undefined) {}

  /** The seat saved for this server, if any. */
  load(endpoint: string): SavedSeat | undefined {
    try {
      const seat = JSON.parse(this.storage?.getItem(SEAT_KEY) ?? "null") as SavedSeat | null;
      return seat !== null && seat.endpoint === endpoint ? seat : undefined;
    } catch {
      return undefined;
    }
  }

  save(seat: SavedSeat): void {
    this.storage?.setItem(SEAT_KEY, JSON.stringify(seat));
  }

  forget(): void {
    this.storage?.removeItem(SEAT_KEY);
  }
}
