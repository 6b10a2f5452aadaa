import type { Pool } from 'pg';
import { withTransaction } from '../db';
import { DomainError } from '../errors';
import { enqueueEvent, userEvent } from '../events/outbox';
import type { UserRepository, UserRecord } from '../users';
import { takenUserField } from '../users';
import { parseInput } from '../validation';
import { hashPassword, verifyPassword } from './passwords';
import { loginSchema, registerSchema } from './validation';

export interface AuthServiceDeps {
  db: Pool;
  users: UserRepository;
  /** Called after an event was committed to the outbox, so the publisher sends it now rather than at its next sweep. */
  onEventStored: () => void;
}

/** Registration and login: accounts and the events other services hear about them. */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async register(input: unknown): Promise<UserRecord> {
    const { username, email, password } = parseInput(registerSchema, input);
    const passwordHash = await hashPassword(password);
    let user: UserRecord;
    try {
      user = await withTransaction(this.deps.db, async (client) => {
        const inserted = await this.deps.users.insert(client, { username, email, passwordHash });
        await enqueueEvent(client, userEvent('user.registered', inserted));
        // Registering logs the new user in: that is their first login, and the greeter welcomes them for it.
        await enqueueEvent(client, userEvent('user.login', inserted));
        return inserted;
      });
    } catch (error) {
      const field = takenUserField(error);
      if (field === 'username') throw new DomainError('conflict', 'this username is taken');
      if (field === 'email') throw new DomainError('conflict', 'this e-mail address is already registered');
      throw error;
    }
    this.deps.onEventStored();
    return user;
  }

  /** One message for an unknown user and a wrong password: no hint which usernames exist. */
  async login(input: unknown): Promise<UserRecord> {
    const { username, password } = parseInput(loginSchema, input);
    const user = await this.deps.users.findByUsername(username);
    if (!(await verifyPassword(user?.password_hash, password)) || !user) throw new DomainError('unauthorized', 'wrong username or password');
    await enqueueEvent(this.deps.db, userEvent('user.login', user));
    this.deps.onEventStored();
    return user;
  }

  /** The account behind a session; undefined once it is gone. */
  account(userId: number): Promise<UserRecord | undefined> {
    return this.deps.users.findById(userId);
  }
}
