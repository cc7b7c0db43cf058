import type { IncomingMessage } from "node:http";
import { LocalPresence } from "@colyseus/core";
import { RoomRefusal, type MatchMaker, type RoomCache, type SeatReservation, type SeatToReserve } from "../../src/matchmaking/MatchMaker.ts";
import { freeSeatsOf, fullestFirst, type OpenRoomsPage } from "../../src/matchmaking/OpenRoomIndex.ts";

/** A room of the in-memory matchmaker: its listing row and who holds its seats. */
interface MemoryRoom {
  row: RoomCache;
  seated: string[];
}

/**
 * `MatchMaker` in memory, for tests of placement, quick play and the HTTP
 * gate without a Colyseus server: rooms are listing rows whose seats are
 * counted, processes are ids that are live or not, presence is Colyseus's
 * own in-memory `LocalPresence`. A room locks when full, as Colyseus's do.
 */
export class MemoryMatchMaker implements MatchMaker {
  readonly presence = new LocalPresence();
  readonly live = new Set<string>();
  readonly #rooms = new Map<string, MemoryRoom>();
  #ids = 0;
  /** What `authenticate` does with quick play's options (the room's onAuth); accepts everything by default. */
  onAuth: (options: Record<string, unknown>) => unknown = () => true;
  /** Where `createRoom` puts a room (Colyseus's selectProcessIdToCreateRoom). */
  placeOn: (roomName: string, options: Record<string, unknown>) => Promise<string> = async () => this.processId;
  /** The capacity of a room `createRoom` makes. */
  capacity = 8;

  constructor(readonly processId = "self") {
    this.live.add(processId);
  }

  /** Lists a room as if another process had made it. */
  addRoom(row: Partial<RoomCache> & { processId: string }): RoomCache {
    const full: RoomCache = {
      name: "arena",
      roomId: `r${++this.#ids}`,
      clients: 0,
      maxClients: this.capacity,
      locked: false,
      private: false,
      unlisted: false,
      metadata: {},
      ...row,
    } as RoomCache;
    this.#rooms.set(full.roomId, { row: full, seated: [] });
    return full;
  }

  /** The rows of every room, as listed now. */
  get rooms(): RoomCache[] {
    return [...this.#rooms.values()].map((room) => room.row);
  }

  async query(conditions: Partial<RoomCache>, sort?: Record<string, 1 | -1>): Promise<RoomCache[]> {
    const rows = this.rooms.filter((row) =>
      Object.entries(conditions).every(
        ([key, value]) => (row as unknown as Record<string, unknown>)[key] === value || (row.metadata as Record<string, unknown> | undefined)?.[key] === value,
      ),
    );
    if (sort?.clients !== undefined) rows.sort((a, b) => (a.clients - b.clients) * sort.clients);
    return rows;
  }

  async liveProcesses(): Promise<string[]> {
    return [...this.live];
  }

  async channels(pattern: string): Promise<string[]> {
    // A live room answers on `$<roomId>`, as Colyseus's do over Redis.
    if (pattern === "$*") return this.rooms.filter((row) => this.live.has(row.processId)).map((row) => `$${row.roomId}`);
    if (pattern.startsWith("$")) return this.rooms.some((row) => `$${row.roomId}` === pattern && this.live.has(row.processId)) ? [pattern] : [];
    return [];
  }

  async freeSeats(mode: string, upTo: number): Promise<number> {
    return Math.min(
      upTo,
      this.rooms.filter((row) => row.metadata?.mode === mode).reduce((free, row) => free + freeSeatsOf(row), 0),
    );
  }

  async openRooms(mode: string, from: number, count: number): Promise<OpenRoomsPage> {
    const page = fullestFirst(this.rooms.filter((row) => row.metadata?.mode === mode && freeSeatsOf(row) > 0)).slice(from, from + count);
    const channels = new Set(await this.channels("$*"));
    return { rooms: page, read: page.length, answering: new Set(page.map((row) => row.roomId).filter((id) => channels.has(`$${id}`))) };
  }

  isLocal(roomId: string): boolean {
    return this.#rooms.get(roomId)?.row.processId === this.processId;
  }

  async authenticate(_roomName: string, options: Record<string, unknown>, _req: IncomingMessage): Promise<unknown> {
    return this.onAuth(options);
  }

  async createRoom(roomName: string, options: Record<string, unknown>): Promise<RoomCache> {
    const processId = await this.placeOn(roomName, options);
    return this.addRoom({ name: roomName, processId, metadata: { mode: options.mode } });
  }

  async reserveSeats(room: RoomCache, requests: readonly SeatToReserve[]): Promise<boolean[]> {
    const held = this.#rooms.get(room.roomId);
    if (held === undefined || !this.live.has(held.row.processId)) throw new Error(`room ${room.roomId} is gone`);
    return requests.map((request) => {
      if (held.row.locked || held.seated.length >= held.row.maxClients) return false;
      held.seated.push(request.sessionId);
      held.row.clients = held.seated.length;
      held.row.locked = held.seated.length >= held.row.maxClients;
      return true;
    });
  }

  seat(room: RoomCache, sessionId: string): SeatReservation {
    return { name: room.name, roomId: room.roomId, processId: room.processId, sessionId, publicAddress: room.publicAddress };
  }

  sessionId(): string {
    return `s${++this.#ids}`;
  }

  async create(roomName: string, options: Record<string, unknown>): Promise<SeatReservation> {
    const room = await this.createRoom(roomName, options);
    const sessionId = this.sessionId();
    await this.reserveSeats(room, [{ sessionId, options }]);
    return this.seat(room, sessionId);
  }

  async joinById(roomId: string, options: Record<string, unknown>): Promise<SeatReservation> {
    const room = this.#rooms.get(roomId);
    if (room === undefined) throw new RoomRefusal("gone", `room "${roomId}" not found`);
    if (room.row.locked) throw new RoomRefusal("locked", `room "${roomId}" is locked`);
    const sessionId = this.sessionId();
    await this.reserveSeats(room.row, [{ sessionId, options }]);
    return this.seat(room.row, sessionId);
  }

  async reregister(): Promise<void> {}
}
