import { Link } from 'react-router';

/** A dashboard path that names no page. */
export function NotFoundPage() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No dashboard page here. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}
