/** A failed API call or a refused form, in words. */
export function ErrorBanner({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <div className="error-banner" role="alert">
      {message}
    </div>
  );
}
