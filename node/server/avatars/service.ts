import type { PublicUser, SelfUser } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { Logger } from '../logger';
import type { UserProfiles, UserRepository } from '../users';
import { sniffImageType } from './sniff';
import { AVATAR_KEY_PATTERN, isMissingObject, newAvatarKey, type AvatarObject, type AvatarStorage } from './storage';

const UNAVAILABLE = 'avatar storage is unavailable, try again later';

export interface AvatarServiceDeps {
  logger: Logger;
  storage: AvatarStorage;
  users: UserRepository;
  profiles: UserProfiles;
  /** Tells every client that a profile changed. */
  onProfileChanged: (user: PublicUser) => void;
}

/** Uploading an avatar (judged by its content, stored in S3, no orphan left behind) and reading one back. */
export class AvatarService {
  private readonly logger: Logger;

  constructor(private readonly deps: AvatarServiceDeps) {
    this.logger = deps.logger.child({ component: 'avatars' });
  }

  async upload(userId: number, bytes: unknown): Promise<SelfUser> {
    const { storage, users, profiles } = this.deps;
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new DomainError('invalid', 'send the image as the request body');
    const type = sniffImageType(bytes);
    if (!type) throw new DomainError('invalid', 'expected a PNG, JPEG or WebP image', 415);

    const key = newAvatarKey(userId, type);
    try {
      await storage.put(key, bytes, type);
    } catch (error) {
      this.logger.warn({ err: error }, 'avatar upload to S3 failed');
      throw new DomainError('unavailable', UNAVAILABLE);
    }
    let replaced: { previous: string | null } | undefined;
    try {
      replaced = await users.replaceAvatarKey(userId, key);
      if (!replaced) throw new DomainError('unauthorized', 'not logged in');
    } catch (error) {
      await storage.remove(key).catch(() => undefined);
      throw error;
    }
    const previousKey = replaced.previous;
    if (previousKey) {
      await storage.remove(previousKey).catch((error: unknown) => this.logger.warn({ err: error, key: previousKey }, 'old avatar not deleted'));
    }
    const user = await users.findById(userId);
    if (!user) throw new DomainError('unauthorized', 'not logged in');
    this.deps.onProfileChanged(profiles.publicOf(user));
    return profiles.selfOf(user);
  }

  /** An uploaded avatar by its key: `not_found` for a key that is malformed or not stored. */
  async open(key: string): Promise<AvatarObject> {
    if (!AVATAR_KEY_PATTERN.test(key)) throw new DomainError('not_found', 'not found');
    try {
      return await this.deps.storage.open(key);
    } catch (error) {
      if (isMissingObject(error)) throw new DomainError('not_found', 'not found');
      this.logger.warn({ err: error }, 'avatar download from S3 failed');
      throw new DomainError('unavailable', UNAVAILABLE);
    }
  }
}
