import type { PublicUser } from '../../shared/protocol';

/** Decorative: the name is always shown next to it, so the alt text stays empty. */
export function Avatar({ user, size = 'normal' }: { user: PublicUser; size?: 'small' | 'normal' | 'large' }) {
  const pixels = { small: 24, normal: 36, large: 64 }[size];
  return <img className={`avatar avatar--${size}`} src={user.avatarUrl} alt="" width={pixels} height={pixels} data-user={user.username} />;
}
