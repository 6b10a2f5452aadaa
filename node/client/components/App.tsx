/** Decides between the login form and the chat from the server's session. */
import { useCallback, useEffect, useState } from 'react';
import type { SelfUser } from '../../shared/protocol';
import { Api } from '../lib/api';
import { AuthScreen } from './AuthScreen';
import { ChatScreen } from './ChatScreen';

type Session = { kind: 'loading' } | { kind: 'unreachable'; error: string } | { kind: 'anonymous' } | { kind: 'user'; user: SelfUser };

async function loadSession(api: Api): Promise<Session> {
  try {
    const { user } = await api.session();
    return user ? { kind: 'user', user } : { kind: 'anonymous' };
  } catch (error) {
    return { kind: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
}

export function App() {
  const [api] = useState(() => new Api());
  const [session, setSession] = useState<Session>({ kind: 'loading' });

  const refresh = useCallback(() => loadSession(api).then(setSession), [api]);

  useEffect(() => {
    let current = true;
    void loadSession(api).then((loaded) => current && setSession(loaded));
    return () => {
      current = false;
    };
  }, [api]);

  const signedIn = useCallback((user: SelfUser) => setSession({ kind: 'user', user }), []);
  const signedOut = useCallback(() => setSession({ kind: 'anonymous' }), []);
  const sessionLost = useCallback(() => void refresh(), [refresh]);

  switch (session.kind) {
    case 'loading':
      return <p className="splash">Loading…</p>;
    case 'unreachable':
      return (
        <div className="splash" role="alert">
          <p>{session.error}</p>
          <button type="button" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      );
    case 'anonymous':
      return <AuthScreen api={api} onSignedIn={signedIn} />;
    case 'user':
      return <ChatScreen key={session.user.id} api={api} self={session.user} onSignedOut={signedOut} onSessionLost={sessionLost} />;
  }
}
