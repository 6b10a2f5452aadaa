import { randomBytes } from 'node:crypto';
import { DEFAULT_ROOM, LIMITS, NOTHING_READ, type PublicUser, type RoomSummary, type RoomUpdate } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { ProfileRow, UserProfiles } from '../users';
import type { RoomAccess, RoomKey, RoomRecord, RoomRepository } from './repository';

/** What changed in a conversation's membership, for the entry point to tell the sockets (see membership.ts). */
export interface MembershipChange {
  room: RoomSummary;
  /** Whether anything was stored: a repeated invitation or removal changes nothing and is not announced. */
  changed: boolean;
}

/** The one answer to a conversation that does not exist or that the caller may not know about. */
const noSuchRoom = (name: string) => new DomainError('not_found', `no room named ${name}`);

/** A new DM's key: '@' and 20 random hex digits (LIMITS.directNamePattern). */
const newDirectKey = (): string => `@${randomBytes(10).toString('hex')}`;

/** Use cases of rooms, private rooms, direct conversations and membership. */
export class RoomService {
  /**
   * Ids and kinds by name: conversations are never renamed nor change kind, so an entry only goes stale when its
   * conversation is deleted (see forget).
   */
  private readonly ids = new Map<string, RoomKey>();

  constructor(
    private readonly rooms: RoomRepository,
    private readonly profiles: UserProfiles,
  ) {}

  /** The conversation's id and kind, from memory after the first lookup; undefined when there is no such one. */
  private async lookUp(name: string): Promise<RoomKey | undefined> {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const found = await this.rooms.findKey(name);
    if (found !== undefined) this.ids.set(name, found);
    return found;
  }

  /** Drops a remembered id that turned out to belong to a deleted room. */
  forget(name: string): void {
    this.ids.delete(name);
  }

  /** Every public room, and the private rooms and DMs the user is in (a DM with its members). */
  async list(userId: number): Promise<RoomSummary[]> {
    return (await this.rooms.listForUser(userId)).map(({ members, ...room }) => (members ? { ...room, members: this.profilesOf(members) } : room));
  }

  /** Creates a room, public or private, with its creator as the first member and owner. */
  async create(userId: number, name: string, isPrivate = false): Promise<RoomSummary> {
    const room = await this.rooms.createWithMember(name, isPrivate ? 'private' : 'public', userId);
    if (!room) throw new DomainError('conflict', `room ${name} already exists`);
    return { ...NOTHING_READ, name: room.name, kind: room.kind, memberCount: 1, joined: true, ownerId: userId };
  }

  /** Idempotent: joining a room twice changes nothing. Only public rooms take people who are not members yet. */
  async join(userId: number, name: string): Promise<MembershipChange> {
    const room = await this.visible(userId, name);
    const changed = room.isMember ? false : await this.rooms.addMember(room.id, userId);
    return { room: await this.summaryOf(room, userId), changed };
  }

  /** A one-to-one DM cannot be left (there would be nobody to talk to, and starting it again must find it). */
  async leave(userId: number, name: string): Promise<MembershipChange> {
    // Everyone is put back into the default room at every connect, so leaving it would not stick.
    if (name === DEFAULT_ROOM) throw new DomainError('invalid', `everyone stays in ${DEFAULT_ROOM}`);
    const room = await this.visible(userId, name);
    if (room.isPair) throw new DomainError('invalid', 'a one-to-one conversation cannot be left');
    const changed = await this.rooms.removeMember(room.id, userId);
    return { room: { ...(await this.summaryOf(room, undefined)), joined: false }, changed };
  }

  /**
   * Starts a direct conversation between the caller and 1 to 7 other people. For two people it is their one
   * conversation, found again on every start. A group is new each time: its members may leave, so "the same set of
   * people" would soon name a different conversation than the one they started, and a new group for a new topic
   * is what people expect.
   */
  async startDirect(userId: number, userIds: number[]): Promise<MembershipChange> {
    const others = [...new Set(userIds)].filter((id) => id !== userId);
    if (others.length === 0) throw new DomainError('invalid', 'pick at least one person other than yourself');
    if (others.length > LIMITS.directMaxPeople - 1) throw new DomainError('invalid', `a direct conversation has at most ${LIMITS.directMaxPeople} people`);
    const found = await this.rooms.people(others);
    const missing = others.find((id) => !found.has(id));
    if (missing !== undefined) throw new DomainError('not_found', `no user with id ${missing}`);
    const memberIds = [userId, ...others];
    const { room, created } = await this.rooms.createDirect(newDirectKey(), memberIds);
    // Nobody owns a DM: an owner could delete the others' messages.
    return { room: await this.summaryOf({ ...room, ownerId: null }, userId), changed: created };
  }

  /** The owner of a private room adds someone to it; inviting a member again changes nothing. */
  async invite(ownerId: number, name: string, userId: number): Promise<MembershipChange> {
    const room = await this.ownedPrivateRoom(ownerId, name);
    if (!(await this.rooms.people([userId])).has(userId)) throw new DomainError('not_found', `no user with id ${userId}`);
    const changed = await this.rooms.addMember(room.id, userId);
    return { room: await this.summaryOf(room, ownerId), changed };
  }

  /** The owner of a private room removes a member; removing someone who is not in it changes nothing. */
  async remove(ownerId: number, name: string, userId: number): Promise<MembershipChange> {
    const room = await this.ownedPrivateRoom(ownerId, name);
    if (userId === ownerId) throw new DomainError('invalid', 'the owner cannot be removed: leave the room instead');
    const changed = await this.rooms.removeMember(room.id, userId);
    return { room: await this.summaryOf(room, ownerId), changed };
  }

  /** A conversation's members, for its members only. */
  async members(userId: number, name: string): Promise<PublicUser[]> {
    const room = await this.requireMember(userId, name);
    return this.memberProfiles(room.id);
  }

  /** A private room's or a DM's member count as it is now, a DM's with its members; undefined once it is gone. */
  async conversationUpdate(name: string): Promise<RoomUpdate | undefined> {
    const key = await this.lookUp(name);
    if (!key) return undefined;
    if (key.kind !== 'direct') return { name, memberCount: await this.rooms.memberCount(key.id) };
    const members = await this.memberProfiles(key.id);
    return { name, memberCount: members.length, members };
  }

  /** Public rooms' member counts as they are now, for everyone to hear (member-counts.ts). */
  publicMemberCounts(names: string[]): Promise<RoomUpdate[]> {
    return this.rooms.publicMemberCounts(names);
  }

  /**
   * Makes the user a member of the default room; answers every room they are in and whether this connect is what made
   * them a member (a new user), which changes the default room's member count for everyone.
   */
  async roomsOnConnect(userId: number): Promise<{ names: string[]; joinedDefaultRoom: boolean }> {
    const general = await this.rooms.ensure(DEFAULT_ROOM);
    const joinedDefaultRoom = await this.rooms.addMember(general.id, userId);
    return { names: await this.rooms.namesOfMember(userId), joinedDefaultRoom };
  }

  /**
   * The room, if it exists and the user is in it. A public room one is not in is `forbidden`; a private room or a
   * DM one is not in is `not_found`, the answer for a room that does not exist, so outsiders learn nothing.
   */
  async requireMember(userId: number, name: string): Promise<RoomRecord> {
    const room = await this.visible(userId, name);
    if (!room.isMember) throw new DomainError('forbidden', `you are not a member of ${name}: join it first`);
    return room;
  }

  /** The conversation's id, for a sender whose socket holds its membership. */
  async requireId(name: string): Promise<number> {
    const found = await this.lookUp(name);
    if (found === undefined) throw noSuchRoom(name);
    return found.id;
  }

  /** The id of a room bots may post in: a public one. A bot is a member of no private room or DM and answers nobody there. */
  async requirePublicId(name: string): Promise<number> {
    const found = await this.lookUp(name);
    if (found?.kind !== 'public') throw noSuchRoom(name);
    return found.id;
  }

  /** The room if the user may know it exists: a public room, or one they are a member of. */
  private async visible(userId: number, name: string): Promise<RoomAccess> {
    const room = await this.rooms.findForUser(name, userId);
    if (!room || (room.kind !== 'public' && !room.isMember)) throw noSuchRoom(name);
    return room;
  }

  private async ownedPrivateRoom(ownerId: number, name: string): Promise<RoomAccess> {
    const room = await this.visible(ownerId, name);
    if (room.kind === 'public') throw new DomainError('invalid', `${name} is public: anyone may join it, nobody is invited or removed`);
    if (room.kind === 'direct') throw new DomainError('invalid', 'people are not invited to or removed from a direct conversation: start a new one');
    if (room.ownerId !== ownerId) throw new DomainError('forbidden', `only the owner of ${name} invites and removes members`);
    return room;
  }

  /** The conversation as its members see it, with the read state of `readBy` (none for someone who just left it). */
  private async summaryOf(room: RoomRecord & { ownerId: number | null }, readBy: number | undefined): Promise<RoomSummary> {
    const [memberCount, readState] = await Promise.all([
      this.rooms.memberCount(room.id),
      readBy === undefined ? { ...NOTHING_READ, name: room.name } : this.rooms.readState(room.id, readBy),
    ]);
    const summary: RoomSummary = { ...readState, kind: room.kind, memberCount, joined: true, ownerId: room.ownerId };
    if (room.kind !== 'direct') return summary;
    return { ...summary, members: await this.memberProfiles(room.id) };
  }

  /** One conversation's members' public profiles. */
  private async memberProfiles(roomId: number): Promise<PublicUser[]> {
    return this.profilesOf((await this.rooms.membersOf([roomId])).get(roomId) ?? []);
  }

  private profilesOf(rows: ProfileRow[]): PublicUser[] {
    return rows.map((row) => this.profiles.publicOf(row));
  }
}
