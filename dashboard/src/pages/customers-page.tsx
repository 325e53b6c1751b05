import { customersApi } from '../api/admin-api.js';
import { ErrorBanner } from '../components/error-banner.js';
import { OwnerList } from '../components/owner-list.js';
import { useApi } from '../components/use-api.js';

/** Customers: create, budgets and rate limits with their use, delete. */
export function CustomersPage() {
  const data = useApi(() => customersApi.list());
  return (
    <section>
      <header className="page-header">
        <h1>Customers</h1>
        <span className="muted">A customer's budgets and rate limits apply to all its teams and keys together.</span>
      </header>
      <ErrorBanner message={data.error} />
      <OwnerList
        ownerType="customer"
        noun="customer"
        owners={data.data?.map((customer) => ({ id: customer.id, name: customer.name, created_at: customer.created_at }))}
        onCreate={(name) => customersApi.create(name)}
        onDelete={(id) => customersApi.remove(id)}
        reload={data.reload}
      />
    </section>
  );
}
