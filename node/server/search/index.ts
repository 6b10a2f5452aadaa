/** The search module's public face, for the composition root. */
export { SearchRepository } from './repository';
export { createSearchRouter } from './router';
export { SearchService } from './service';
export { registerSearchHandlers } from './socket';
