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
import { MessageRepository, MessageService, MessageWriter, type MessageAnnouncer, type MessageWriterObserver, type MessageWriterSettings } from './messages';
import { ReadingService, RoomRepository, RoomService, type ReadAnnouncer } from './rooms';
import { SearchRepository, SearchService } from './search';
import { UserDirectory, UserProfiles, UserRepository } from './users';

export interface Services {
  users: UserRepository;
  profiles: UserProfiles;
  /** The people picker. */
  directory: UserDirectory;
  auth: AuthService;
  avatars: AvatarService;
  avatarStorage: AvatarStorage;
  rooms: RoomService;
  reading: ReadingService;
  messages: MessageService;
  search: SearchService;
  /** The batching writer in front of PostgreSQL, for its queue depth. */
  messageWriter: MessageWriter;
}

export interface ServiceDeps {
  config: Config;
  clients: Clients;
  logger: Logger;
  /** Where stored messages, moved read positions and changed profiles are announced (socket.io). */
  announcer: MessageAnnouncer & ReadAnnouncer & { userUpdated(user: PublicUser): void };
  /** Called after an event was committed to the outbox. */
  onEventStored: () => void;
  /** What the message writer reports to (metrics). */
  writerObserver?: MessageWriterObserver;
}

/** The message writer's settings as the configuration gives them. */
export function messageWriterSettings(config: Config): MessageWriterSettings {
  return { batchSize: config.MESSAGE_BATCH_SIZE, windowMs: config.MESSAGE_BATCH_WINDOW_MS, queueLimit: config.MESSAGE_QUEUE_LIMIT, concurrency: config.MESSAGE_WRITERS };
}

export function createServices({ config, clients, logger, announcer, onEventStored, writerObserver }: ServiceDeps): Services {
  const { db } = clients;
  const users = new UserRepository(db);
  const profiles = new UserProfiles(config.CDN_PREFIX);
  const roomRepository = new RoomRepository(db);
  const rooms = new RoomService(roomRepository, profiles);
  const messageRepository = new MessageRepository(db, profiles);
  const messageWriter = new MessageWriter(
    messageRepository,
    messageWriterSettings(config),
    writerObserver,
  );
  const messages = new MessageService(messageRepository, messageWriter, rooms, announcer);
  const avatarStorage = new AvatarStorage(clients.s3, config.S3_BUCKET, config.S3_REGION, logger);
  return {
    users,
    profiles,
    directory: new UserDirectory(users, profiles),
    auth: new AuthService({ db, users, onEventStored }),
    avatars: new AvatarService({ logger, storage: avatarStorage, users, profiles, onProfileChanged: (user) => announcer.userUpdated(user) }),
    avatarStorage,
    rooms,
    reading: new ReadingService(roomRepository, announcer),
    messages,
    messageWriter,
    search: new SearchService(new SearchRepository(db), messages),
  };
}
