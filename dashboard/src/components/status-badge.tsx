/** An HTTP status sent to the caller (with the error type when the answer failed after 200). */
export function StatusBadge({ status, errorType }: { status: number; errorType?: string }) {
  const failed = status >= 400 || errorType !== undefined;
  return (
    <span className={`badge ${failed ? 'error' : 'success'}`} title={errorType}>
      {status}
      {errorType !== undefined && status < 400 ? ` ${errorType}` : ''}
    </span>
  );
}
