/** Schemas of what clients send over socket.io: every handler parses its payload with one of these first. */
import { z } from 'zod';
import { clientIdSchema } from '../messages/validation';
import { roomNameSchema } from '../rooms/validation';

const NOT_AN_OBJECT = 'expected an object payload';
/** A client holds a handful of rooms; more in one sync is not a real client. */
export const SYNC_MAX_ROOMS = 100;

export const roomPayload = z.object({ name: roomNameSchema }, { error: NOT_AN_OBJECT });

export const typingPayload = z.object({ room: roomNameSchema }, { error: NOT_AN_OBJECT });

/** The body is checked by the message service (trim, length), which bots' messages go through too. */
export const messagePayload = z.object(
  {
    room: roomNameSchema,
    clientId: clientIdSchema,
    body: z.string({ error: 'expected the message text as a string' }),
  },
  { error: NOT_AN_OBJECT },
);

export const syncPayload = z.object(
  {
    rooms: z
      .record(
        roomNameSchema,
        z.number({ error: 'expected the newest message id held' }).int('expected a whole message id').min(0).max(Number.MAX_SAFE_INTEGER),
        { error: 'expected rooms as an object of room name to message id' },
      )
      .refine((rooms) => Object.keys(rooms).length <= SYNC_MAX_ROOMS, `expected at most ${SYNC_MAX_ROOMS} rooms`),
  },
  { error: NOT_AN_OBJECT },
);
