/** The socket event `search`, limited like every read of the socket. */
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import { bucketsOf } from '../realtime/token-bucket';
import type { ChatServerSocket } from '../realtime/types';
import type { SearchService } from './service';
import { searchPayload } from './validation';

export function registerSearchHandlers(socket: ChatServerSocket, { logger, search }: { logger: Logger; search: SearchService }): void {
  const userId = socket.data.user.id;
  onAcked(socket, logger, 'search', {
    schema: searchPayload,
    bucket: bucketsOf(socket).read,
    handle: ({ q, before, limit }) => search.find({ userId, query: q, before, limit }),
  });
}
