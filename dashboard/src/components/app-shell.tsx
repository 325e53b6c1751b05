import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import type { Session } from '../api/api-types.js';
import { DASHBOARD_PAGES } from '../dashboard-pages.js';

/** The frame of every page: the navigation on the left, who is logged in, the page on the right. */
export function AppShell({ session, onLogout, children }: { session: Session; onLogout?: () => void; children: ReactNode }) {
  const who = session.principal?.kind === 'session' ? session.principal.username : session.principal?.kind === 'token' ? 'admin token' : 'local access';
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Pages">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Heimdall</span>
        </div>
        <ul>
          {DASHBOARD_PAGES.map((page) => (
            <li key={page.path}>
              <NavLink to={page.path} end={page.path === '/'} className={({ isActive }) => (isActive ? 'active' : undefined)}>
                {page.label}
              </NavLink>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <span className="muted" data-testid="signed-in-as">{who}</span>
          {onLogout !== undefined && (
            <button type="button" className="link-button" onClick={onLogout}>
              Log out
            </button>
          )}
        </div>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
