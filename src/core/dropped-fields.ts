/**
 * A request field that Heimdall dropped on purpose because the target provider cannot take it.
 * Every drop is recorded so the request log can show it. `field` is a JSON path into the inbound
 * request (e.g. `thinking`, `messages[3].content[0]`).
 */
export interface DroppedField {
  field: string;
  reason: string;
}

/** Collects the fields dropped while one request is translated. */
export class DroppedFieldLog {
  readonly entries: DroppedField[] = [];

  drop(field: string, reason: string): void {
    this.entries.push({ field, reason });
  }
}
