import { z } from 'zod';
import { LIMITS, type PublicUser } from '../../shared/protocol';
import { NOT_AN_OBJECT } from '../validation';
import type { UserProfiles } from './profiles';
import type { UserRepository } from './repository';

/** A username prefix as people type it: case does not matter, usernames are lower case. */
export const usernamePrefixSchema = z
  .string({ error: 'expected a name prefix' })
  .transform((prefix) => prefix.trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_-]{1,32}$/, 'expected a name prefix of 1-32 characters a-z 0-9 _ -'));

export const findUsersPayload = z.object({ prefix: usernamePrefixSchema }, { error: NOT_AN_OBJECT });

/**
 * The people picker: finds people to talk to by the start of their name. Public profiles only (never an e-mail
 * address), no bots (they do not read direct messages), never the one asking.
 */
export class UserDirectory {
  constructor(
    private readonly users: UserRepository,
    private readonly profiles: UserProfiles,
  ) {}

  /** `prefix` as usernamePrefixSchema gives it. */
  async find(userId: number, prefix: string): Promise<PublicUser[]> {
    const found = await this.users.findPeopleByPrefix(prefix, userId, LIMITS.userSearchMax);
    return found.map((user) => this.profiles.publicOf(user));
  }
}
