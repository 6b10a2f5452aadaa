/**
 * The composition root: every repository and use-case service, built once from the long-lived clients. The HTTP
 * routers, the socket.io handlers and the RabbitMQ consumer all receive these same instances.
 */
import type { PublicUser } from '../shared/protocol';
import { AuthService } from './auth';
import { AvatarService, AvatarStorage } from './avatars';
import type { Clients } from './clients';
import type { Config } from './config';
import type { Logger } from './logger';
import { MessageRepository, MessageService, type MessageAnnouncer } from './messages';
import { RoomRepository, RoomService } from './rooms';
import { SearchRepository, SearchService } from './search';
import { UserProfiles, UserRepository } from './users';

export interface Services {
  users: UserRepository;
  profiles: UserProfiles;
  auth: AuthService;
  avatars: AvatarService;
  avatarStorage: AvatarStorage;
  rooms: RoomService;
  messages: MessageService;
  search: SearchService;
}

export interface ServiceDeps {
  config: Config;
  clients: Clients;
  logger: Logger;
  /** Where stored messages and changed profiles are announced (socket.io). */
  announcer: MessageAnnouncer & { userUpdated(user: PublicUser): void };
  /** Called after an event was committed to the outbox. */
  onEventStored: () => void;
}

export function createServices({ config, clients, logger, announcer, onEventStored }: ServiceDeps): Services {
  const { db } = clients;
  const users = new UserRepository(db);
  const profiles = new UserProfiles(config.CDN_PREFIX);
  const rooms = new RoomService(new RoomRepository(db));
  const messages = new MessageService(new MessageRepository(db, profiles), rooms, announcer);
  const avatarStorage = new AvatarStorage(clients.s3, config.S3_BUCKET, config.S3_REGION, logger);
  return {
    users,
    profiles,
    auth: new AuthService({ db, users, onEventStored }),
    avatars: new AvatarService({ logger, storage: avatarStorage, users, profiles, onProfileChanged: (user) => announcer.userUpdated(user) }),
    avatarStorage,
    rooms,
    messages,
    search: new SearchService(new SearchRepository(db), messages),
  };
}
