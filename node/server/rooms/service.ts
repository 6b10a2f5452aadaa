import { DEFAULT_ROOM, type RoomSummary, type RoomUpdate } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { RoomRecord, RoomRepository } from './repository';

/** Use cases of rooms and membership. */
export class RoomService {
  /** Room ids by name: rooms are never renamed, so an id only goes stale when its room is deleted (see forget). */
  private readonly ids = new Map<string, number>();

  constructor(private readonly rooms: RoomRepository) {}

  /** The room's id, from memory after the first lookup; undefined when there is no such room. */
  async idOf(name: string): Promise<number | undefined> {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const id = await this.rooms.findId(name);
    if (id !== undefined) this.ids.set(name, id);
    return id;
  }

  /** Drops a remembered id that turned out to belong to a deleted room. */
  forget(name: string): void {
    this.ids.delete(name);
  }

  list(userId: number): Promise<RoomSummary[]> {
    return this.rooms.listForUser(userId);
  }

  /** Creates a room with its creator as the first member. */
  async create(userId: number, name: string): Promise<RoomSummary> {
    const room = await this.rooms.createWithMember(name, userId);
    if (!room) throw new DomainError('conflict', `room ${name} already exists`);
    return { name: room.name, memberCount: 1, joined: true, ownerId: userId, lastReadId: 0, unreadCount: 0, mentionCount: 0 };
  }

  /** Idempotent: joining a room twice changes nothing. */
  async join(userId: number, name: string): Promise<{ room: RoomSummary; changed: boolean }> {
    const room = await this.rooms.findForUser(name, userId);
    if (!room) throw new DomainError('not_found', `no room named ${name}`);
    const changed = room.isMember ? false : await this.rooms.addMember(room.id, userId);
    const [memberCount, readState] = await Promise.all([this.rooms.memberCount(room.id), this.rooms.readState(room.id, userId)]);
    return { room: { ...readState, memberCount, joined: true, ownerId: room.ownerId }, changed };
  }

  async leave(userId: number, name: string): Promise<{ memberCount: number; changed: boolean }> {
    // Everyone is put back into the default room at every connect, so leaving it would not stick.
    if (name === DEFAULT_ROOM) throw new DomainError('invalid', `everyone stays in ${DEFAULT_ROOM}`);
    const room = await this.rooms.findForUser(name, userId);
    if (!room) throw new DomainError('not_found', `no room named ${name}`);
    const changed = await this.rooms.removeMember(room.id, userId);
    return { memberCount: await this.rooms.memberCount(room.id), changed };
  }

  /**
   * Makes the user a member of the default room; answers every room they are in and, when this connect is what
   * made them a member (a new user), the default room's new member count for the others to hear.
   */
  async roomsOnConnect(userId: number): Promise<{ names: string[]; defaultRoomUpdate?: RoomUpdate }> {
    const general = await this.rooms.ensure(DEFAULT_ROOM);
    const added = await this.rooms.addMember(general.id, userId);
    const names = await this.rooms.namesOfMember(userId);
    if (!added) return { names };
    return { names, defaultRoomUpdate: { name: general.name, memberCount: await this.rooms.memberCount(general.id) } };
  }

  /** The room, if it exists and the user is in it; `not_found` or `forbidden` otherwise. */
  async requireMember(userId: number, name: string): Promise<RoomRecord> {
    const room = await this.rooms.findForUser(name, userId);
    if (!room) throw new DomainError('not_found', `no room named ${name}`);
    if (!room.isMember) throw new DomainError('forbidden', `you are not a member of ${name}: join it first`);
    return room;
  }

  async requireId(name: string): Promise<number> {
    const id = await this.idOf(name);
    if (id === undefined) throw new DomainError('not_found', `no room named ${name}`);
    return id;
  }
}
