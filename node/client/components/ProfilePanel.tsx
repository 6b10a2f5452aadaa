/** The user's own card: avatar upload with a local preview before it is sent, and logout. */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { LIMITS, type PublicUser, type SelfUser } from '../../shared/protocol';
import type { Api } from '../lib/api';
import { Avatar } from './Avatar';
import { FormError } from './FormError';

/** The formats the server accepts; it checks the bytes, this only spares a pointless upload. */
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

interface ProfilePanelProps {
  api: Api;
  self: SelfUser;
  onProfileUpdated: (user: PublicUser) => void;
  onSignedOut: () => void;
}

function isPublicUser(value: unknown): value is PublicUser {
  return typeof value === 'object' && value !== null && 'id' in value && 'avatarUrl' in value && typeof value.avatarUrl === 'string';
}

export function ProfilePanel({ api, self, onProfileUpdated, onSignedOut }: ProfilePanelProps) {
  const [chosen, setChosen] = useState<{ file: File; previewUrl: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  // The preview is a blob: URL (allowed by the CSP's img-src); release it when it is replaced or dropped.
  useEffect(() => {
    if (!chosen) return;
    return () => URL.revokeObjectURL(chosen.previewUrl);
  }, [chosen]);

  function clearChoice() {
    setChosen(null);
    if (fileInput.current) fileInput.current.value = '';
  }

  function choose(event: ChangeEvent<HTMLInputElement>) {
    setError(null);
    const file = event.target.files?.[0];
    if (!file) return clearChoice();
    if (!AVATAR_TYPES.includes(file.type)) {
      clearChoice();
      return setError('Choose a PNG, JPEG or WebP image');
    }
    if (file.size > LIMITS.avatarMaxBytes) {
      clearChoice();
      return setError(`The image is larger than ${LIMITS.avatarMaxBytes / 1024 / 1024} MiB`);
    }
    setChosen({ file, previewUrl: URL.createObjectURL(file) });
  }

  /** The type says image but the browser cannot decode it: the server would refuse it too, so say so now. */
  function unreadable() {
    clearChoice();
    setError('This file is not a readable image: choose a PNG, JPEG or WebP image');
  }

  async function upload() {
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      const updated: unknown = await api.uploadAvatar(chosen.file);
      if (isPublicUser(updated)) onProfileUpdated({ id: self.id, username: self.username, avatarUrl: updated.avatarUrl });
      clearChoice();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  async function logout() {
    setBusy(true);
    try {
      await api.logout();
      onSignedOut();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <section className="panel profile" aria-label="Your profile">
      <div className="profile__card">
        {chosen ? (
          <img
            className="avatar avatar--large profile__preview"
            src={chosen.previewUrl}
            alt="Preview of your new avatar"
            width={64}
            height={64}
            onError={unreadable}
          />
        ) : (
          <Avatar user={self} size="large" />
        )}
        <div className="profile__who">
          <span className="profile__name">{self.username}</span>
          <button type="button" className="link-button" onClick={() => void logout()} disabled={busy}>
            Log out
          </button>
        </div>
      </div>
      <div className="profile__avatar">
        <label className="button button--small profile__choose">
          {chosen ? 'Other image' : 'Change avatar'}
          <input
            ref={fileInput}
            className="visually-hidden"
            type="file"
            name="avatar"
            accept={AVATAR_TYPES.join(',')}
            onChange={choose}
          />
        </label>
        {chosen && (
          <>
            <button type="button" className="button button--small button--primary" onClick={() => void upload()} disabled={busy}>
              Upload
            </button>
            <button type="button" className="button button--small" onClick={clearChoice} disabled={busy}>
              Cancel
            </button>
          </>
        )}
      </div>
      <FormError error={error} />
    </section>
  );
}
