import type { ComponentType } from 'react';
import { LogsPage } from './pages/logs-page.js';
import { ClaudeCodeSetupPage } from './pages/claude-code-setup-page.js';
import { CustomersPage } from './pages/customers-page.js';
import { McpPage } from './pages/mcp-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ProvidersPage } from './pages/providers-page.js';
import { RoutingRulesPage } from './pages/routing-rules-page.js';
import { SettingsPage } from './pages/settings-page.js';
import { TeamsPage } from './pages/teams-page.js';
import { VirtualKeysPage } from './pages/virtual-keys-page.js';

/**
 * The dashboard's pages, in navigation order. Each is served at `path` (a browser navigation to it
 * gets index.html from the gateway, see src/server/dashboard-static-files.ts); with `nested`, the
 * page owns the paths below it too (`/logs/<id>`). Paths must not collide with the gateway's own
 * routes (`/mcp`, `/health`, `/metrics`, `/anthropic`, `/api`, `/bedrock`, `/genai`).
 */
export interface DashboardPage {
  path: string;
  label: string;
  component: ComponentType;
  nested?: boolean;
}

export const DASHBOARD_PAGES: readonly DashboardPage[] = [
  { path: '/', label: 'Overview', component: OverviewPage },
  { path: '/logs', label: 'Logs', component: LogsPage, nested: true },
  { path: '/keys', label: 'Virtual keys', component: VirtualKeysPage },
  { path: '/teams', label: 'Teams', component: TeamsPage },
  { path: '/customers', label: 'Customers', component: CustomersPage },
  { path: '/providers', label: 'Providers', component: ProvidersPage },
  { path: '/routing', label: 'Routing rules', component: RoutingRulesPage },
  { path: '/mcp-servers', label: 'MCP', component: McpPage },
  { path: '/claude-code', label: 'Claude Code setup', component: ClaudeCodeSetupPage },
  { path: '/settings', label: 'Settings', component: SettingsPage },
];
