import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';

export const roomNameSchema = z
  .string({ error: 'expected a room name' })
  .regex(LIMITS.roomNamePattern, 'expected a room name of 2-32 characters a-z 0-9 _ -');
