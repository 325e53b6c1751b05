import { useState, type FormEvent } from 'react';
import { authApi } from '../api/admin-api.js';
import { setAdminToken } from '../api/api-client.js';
import { ErrorBanner } from '../components/error-banner.js';

/**
 * Shown when admin auth is on and the browser has no valid credential: a user name and password
 * (`POST /api/auth/login`, which sets the HttpOnly session cookie), or the admin token
 * (`admin.token` / `HEIMDALL_ADMIN_TOKEN`), kept for this tab only.
 */
export function LoginPage({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'password') {
        await authApi.login(username, password);
      } else {
        setAdminToken(token.trim());
        const session = await authApi.session();
        if (!session.authenticated) {
          setAdminToken(undefined);
          throw new Error('the gateway does not accept this admin token');
        }
      }
      await onLoggedIn();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="centered">
      <form className="card login" onSubmit={(event) => void submit(event)} aria-label="Log in">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <h1>Heimdall</h1>
        </div>
        <ErrorBanner message={error} />
        {mode === 'password' ? (
          <>
            <label>
              User name
              <input name="username" autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />
            </label>
          </>
        ) : (
          <label>
            Admin token
            <input name="token" type="password" autoComplete="off" value={token} onChange={(event) => setToken(event.target.value)} required />
          </label>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <button type="button" className="link-button" onClick={() => setMode(mode === 'password' ? 'token' : 'password')}>
          {mode === 'password' ? 'Use the admin token instead' : 'Use a user name and password'}
        </button>
      </form>
    </div>
  );
}
