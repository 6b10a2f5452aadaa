/** The rooms module's public face, for the composition root and the features that work within rooms. */
export { MEMBER_COUNT_INTERVAL_MS, MemberCounts } from './member-counts';
export { MembershipFanout } from './membership';
export { ReadingService, type ReadAnnouncer } from './reading';
export { RoomRepository, type RoomRecord } from './repository';
export { createRoomsRouter } from './router';
export { RoomService, type MembershipChange } from './service';
export { registerRoomHandlers, joinRoomsOnConnect } from './socket';
export { conversationNameSchema, roomNameSchema } from './validation';
