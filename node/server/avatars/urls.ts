import type { PublicUser } from '../../shared/protocol';

/** The columns of `users` that a public profile is made of. */
export interface UserRow {
  id: number | string;
  username: string;
  avatar_key: string | null;
}

/** URL of the generated avatar for a user who has not uploaded one. */
export function defaultAvatarUrl(username: string): string {
  return `/avatars/default/${encodeURIComponent(username)}.svg`;
}

/** Avatars are served from CDN_PREFIX + object key; without an upload, from the generated default. */
export function toPublicUser(row: UserRow, cdnPrefix: string): PublicUser {
  return {
    id: Number(row.id),
    username: row.username,
    avatarUrl: row.avatar_key ? `${cdnPrefix}${row.avatar_key}` : defaultAvatarUrl(row.username),
  };
}
