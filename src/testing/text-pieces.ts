/**
 * Splits `text` into consecutive pieces of at most `pieceLength` characters, the way an upstream
 * streams tool-call arguments in small deltas. An empty text gives no pieces.
 * @throws RangeError when `pieceLength` is not a positive integer
 */
export function splitIntoPieces(text: string, pieceLength: number): string[] {
  if (!Number.isInteger(pieceLength) || pieceLength < 1) throw new RangeError(`pieceLength must be a positive integer, got ${pieceLength}`);
  const pieces: string[] = [];
  for (let offset = 0; offset < text.length; offset += pieceLength) pieces.push(text.slice(offset, offset + pieceLength));
  return pieces;
}
