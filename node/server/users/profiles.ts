import type { PublicUser, SelfUser } from '../../shared/protocol';

/** The columns of `users` that a public profile is made of. */
export interface ProfileRow {
  id: number | string;
  username: string;
  avatar_key: string | null;
}

/** URL of the generated avatar for a user who has not uploaded one. */
export function defaultAvatarUrl(username: string): string {
  return `/avatars/default/${encodeURIComponent(username)}.svg`;
}

/** How users are shown: to everyone (public) and to themselves (self, with the e-mail address). */
export class UserProfiles {
  /** Avatars are served from `cdnPrefix` + object key. */
  constructor(private readonly cdnPrefix: string) {}

  publicOf(row: ProfileRow): PublicUser {
    return {
      id: Number(row.id),
      username: row.username,
      avatarUrl: row.avatar_key ? `${this.cdnPrefix}${row.avatar_key}` : defaultAvatarUrl(row.username),
    };
  }

  selfOf(row: ProfileRow & { email: string }): SelfUser {
    return { ...this.publicOf(row), email: row.email };
  }
}
