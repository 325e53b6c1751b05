import { useCallback, useEffect, useState } from 'react';
import { Route, Routes } from 'react-router';
import { authApi } from './api/admin-api.js';
import { adminToken, onUnauthorized, setAdminToken } from './api/api-client.js';
import type { Session } from './api/api-types.js';
import { AppShell } from './components/app-shell.js';
import { ErrorBanner } from './components/error-banner.js';
import { DASHBOARD_PAGES } from './dashboard-pages.js';
import { LoginPage } from './pages/login-page.js';
import { NotFoundPage } from './pages/not-found-page.js';

/**
 * The dashboard: asks `/api/auth/session` who it is; without a valid credential (admin auth on,
 * no session cookie, no token) it shows the login page, otherwise the shell with every page.
 */
export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [problem, setProblem] = useState<string | undefined>();

  const refresh = useCallback(async () => {
    try {
      setSession(await authApi.session());
      setProblem(undefined);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onUnauthorized(() => setSession({ authenticated: false, principal: null, expires_at: null }));
  }, [refresh]);

  const logout = useCallback(async () => {
    setAdminToken(undefined);
    await authApi.logout().catch(() => undefined);
    await refresh();
  }, [refresh]);

  if (problem !== undefined) return <div className="centered"><ErrorBanner message={`Cannot reach the gateway's admin API: ${problem}`} /></div>;
  if (session === undefined) return <div className="centered muted">Loading…</div>;
  if (!session.authenticated) return <LoginPage onLoggedIn={refresh} />;
  const canLogOut = session.principal?.kind === 'session' || adminToken() !== undefined;
  return (
    <AppShell session={session} onLogout={canLogOut ? logout : undefined}>
      <Routes>
        {DASHBOARD_PAGES.map((page) => (
          <Route key={page.path} path={page.nested === true ? `${page.path}/*` : page.path} element={<page.component />} />
        ))}
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </AppShell>
  );
}
