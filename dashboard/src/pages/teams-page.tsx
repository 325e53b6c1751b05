import { useState } from 'react';
import { customersApi, teamsApi } from '../api/admin-api.js';
import { ErrorBanner } from '../components/error-banner.js';
import { OwnerList } from '../components/owner-list.js';
import { useApi } from '../components/use-api.js';

/** Teams: create (optionally under a customer), budgets and rate limits with their use, delete. */
export function TeamsPage() {
  const data = useApi(() => Promise.all([teamsApi.list(), customersApi.list()]));
  const [customerId, setCustomerId] = useState('');
  const customers = data.data?.[1] ?? [];
  const customerName = (id: string | null) => (id === null ? '–' : (customers.find((customer) => customer.id === id)?.name ?? id));
  return (
    <section>
      <header className="page-header">
        <h1>Teams</h1>
        <span className="muted">Virtual keys can belong to a team; a team's budgets and rate limits apply to all its keys together.</span>
      </header>
      <ErrorBanner message={data.error} />
      <OwnerList
        ownerType="team"
        noun="team"
        owners={data.data?.[0].map((team) => ({ id: team.id, name: team.name, created_at: team.created_at, details: customerName(team.customer_id) }))}
        detailsHeader="Customer"
        createFields={
          <label>
            Customer
            <select value={customerId} onChange={(event) => setCustomerId(event.target.value)}>
              <option value="">none</option>
              {customers.map((customer) => (
                <option key={customer.id} value={customer.id}>
                  {customer.name}
                </option>
              ))}
            </select>
          </label>
        }
        onCreate={(name) => teamsApi.create(name, customerId === '' ? undefined : customerId)}
        onDelete={(id) => teamsApi.remove(id)}
        reload={data.reload}
      />
    </section>
  );
}
