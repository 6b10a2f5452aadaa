/** Log in or register; the server's `{error}` message is shown as it is. */
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { LIMITS, type SelfUser } from '../../shared/protocol';
import type { Api } from '../lib/api';
import { FormError } from './FormError';

type Mode = 'login' | 'register';

export function AuthScreen({ api, onSignedIn }: { api: Api; onSignedIn: (user: SelfUser) => void }) {
  const [mode, setMode] = useState<Mode>('login');
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { user } = mode === 'login' ? await api.login({ username, password }) : await api.register({ username, email, password });
      if (!user) throw new Error('The server did not start a session');
      onSignedIn(user);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  function switchTo(next: Mode) {
    setMode(next);
    setError(null);
  }

  /** An edit answers the last refusal: a message about the old input would now mislead. */
  function edit(set: (value: string) => void) {
    return (event: ChangeEvent<HTMLInputElement>) => {
      set(event.target.value);
      setError(null);
    };
  }

  return (
    <main className="auth">
      <h1 className="auth__title">Chat</h1>
      <div className="auth__tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'login'} className="auth__tab" onClick={() => switchTo('login')}>
          Log in
        </button>
        <button type="button" role="tab" aria-selected={mode === 'register'} className="auth__tab" onClick={() => switchTo('register')}>
          Register
        </button>
      </div>
      <form className="auth__form" onSubmit={(event) => void submit(event)} aria-label={mode === 'login' ? 'Log in' : 'Register'}>
        <label className="field">
          <span className="field__label">Username</span>
          <input
            name="username"
            // The form is the whole screen: the first thing to type in is the name (also after logging out).
            autoFocus
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={32}
            value={username}
            onChange={edit(setUsername)}
          />
          {mode === 'register' && <span className="field__hint">3–32 of a–z, 0–9, _ and -</span>}
        </label>
        {mode === 'register' && (
          <label className="field">
            <span className="field__label">E-mail</span>
            <input name="email" type="email" autoComplete="email" required value={email} onChange={edit(setEmail)} />
          </label>
        )}
        <label className="field">
          <span className="field__label">Password</span>
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            maxLength={LIMITS.passwordMaxLength}
            value={password}
            onChange={edit(setPassword)}
          />
          {mode === 'register' && <span className="field__hint">At least {LIMITS.passwordMinLength} characters</span>}
        </label>
        <FormError error={error} />
        <button type="submit" className="button button--primary" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
