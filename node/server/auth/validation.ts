import { z } from 'zod';
import { LIMITS, type LoginRequest, type RegisterRequest } from '../../shared/protocol';

const username = z
  .string({ message: 'expected a username' })
  .trim()
  .toLowerCase()
  .regex(LIMITS.usernamePattern, 'expected 3-32 characters of a-z 0-9 _ -');
const password = z
  .string({ message: 'expected a password' })
  .min(LIMITS.passwordMinLength, `expected at least ${LIMITS.passwordMinLength} characters`)
  .max(LIMITS.passwordMaxLength, `expected at most ${LIMITS.passwordMaxLength} characters`);

export const registerSchema: z.ZodType<RegisterRequest> = z.object({
  username,
  email: z.string({ message: 'expected an e-mail address' }).trim().max(254, 'expected at most 254 characters').pipe(z.email('expected an e-mail address')),
  password,
});

export const loginSchema: z.ZodType<LoginRequest> = z.object({
  username: z.string({ message: 'expected a username' }).trim().toLowerCase().max(64, 'expected a username'),
  password: z.string({ message: 'expected a password' }).max(LIMITS.passwordMaxLength, 'wrong username or password'),
});
