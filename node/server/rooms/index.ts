/** The rooms module's public face, for the composition root and the features that work within rooms. */
export { ReadingService, type ReadAnnouncer } from './reading';
export { RoomRepository, type RoomRecord } from './repository';
export { createRoomsRouter } from './router';
export { RoomService } from './service';
export { registerRoomHandlers, joinRoomsOnConnect } from './socket';
export { roomNameSchema } from './validation';
