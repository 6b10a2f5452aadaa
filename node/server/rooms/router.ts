import { Router } from 'express';
import type { PublicUser, ReadState, RoomSummary } from '../../shared/protocol';
import { DomainError } from '../errors';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import type { MembershipFanout } from './membership';
import type { ReadingService } from './reading';
import type { RoomService } from './service';
import { conversationNameSchema, createRoomPayload, inviteRequestSchema, markReadRequestSchema, startDirectPayload, userIdParamSchema } from './validation';

/** A conversation named in the path; a malformed name is a room that does not exist. */
function conversationParam(name: unknown): string {
  const parsed = conversationNameSchema.safeParse(name);
  if (!parsed.success) throw new DomainError('not_found', 'no such room');
  return parsed.data;
}

/**
 * Conversations over REST, mounted under /api, only for logged-in users: GET and POST /rooms, GET, POST and DELETE
 * /rooms/:name/members[/:userId], POST /rooms/:name/read, POST /dms. Membership changes reach the sockets as the socket events' do.
 */
export function createRoomsRouter(rooms: RoomService, reading: ReadingService, membership: MembershipFanout): Router {
  const router = Router();
  router.get('/rooms', requireUser, async (req, res) => {
    const body: RoomSummary[] = await rooms.list(sessionUserId(req));
    res.json(body);
  });
  router.post('/rooms', requireUser, async (req, res) => {
    const userId = sessionUserId(req);
    const { name, private: isPrivate } = parseInput(createRoomPayload, req.body);
    const room = await rooms.create(userId, name, isPrivate);
    membership.created(userId, room);
    res.status(201).json(room);
  });
  router.post('/rooms/:name/read', requireUser, async (req, res) => {
    const room = conversationParam(req.params.name);
    const { messageId } = parseInput(markReadRequestSchema, req.body);
    const body: ReadState = await reading.markRead(sessionUserId(req), room, messageId);
    res.json(body);
  });
  router.get('/rooms/:name/members', requireUser, async (req, res) => {
    const body: PublicUser[] = await rooms.members(sessionUserId(req), conversationParam(req.params.name));
    res.json(body);
  });
  router.post('/rooms/:name/members', requireUser, async (req, res) => {
    const name = conversationParam(req.params.name);
    const { userId } = parseInput(inviteRequestSchema, req.body);
    const change = await rooms.invite(sessionUserId(req), name, userId);
    membership.invited(userId, change);
    res.json(change.room);
  });
  router.delete('/rooms/:name/members/:userId', requireUser, async (req, res) => {
    const name = conversationParam(req.params.name);
    const userId = parseInput(userIdParamSchema, req.params.userId);
    const change = await rooms.remove(sessionUserId(req), name, userId);
    membership.removedMember(userId, change);
    res.json(change.room);
  });
  router.post('/dms', requireUser, async (req, res) => {
    const { userIds } = parseInput(startDirectPayload, req.body);
    const change = await rooms.startDirect(sessionUserId(req), userIds);
    membership.started(change);
    res.status(change.changed ? 201 : 200).json(change.room);
  });
  return router;
}
