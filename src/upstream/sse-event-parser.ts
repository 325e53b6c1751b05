/**
 * A server-sent-event parser for the request path: text in (already decoded, cut anywhere), events
 * out as `(name, data)`. It follows the WHATWG event-stream interpretation for what Heimdall reads
 * — lines end at `\n`, `\r\n` or `\r` (also when the pair is split across chunks), a leading BOM is
 * dropped, `:` lines are comments, a field's value loses one leading space, several `data` lines
 * join with `\n`, a blank line dispatches the event (only when it carried `data`), and `id`,
 * `retry` and unknown fields are ignored (no reconnection happens here). Compared with a general
 * parser it makes no event objects and does not re-join the text of whole chunks: one slice per
 * field value and one call per event.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export class SseEventParser {
  /** The unterminated last line of the text fed so far. */
  private partialLine = '';
  private data = '';
  private dataLines = 0;
  private eventName: string | undefined;
  private atStart = true;
  /** The last text fed ended in `\r`: a `\n` starting the next one belongs to that line end. */
  private afterCarriageReturn = false;

  /** @param onEvent one dispatched event: its `event` field (undefined when absent or empty) and its data */
  constructor(private readonly onEvent: (name: string | undefined, data: string) => void) {}

  /** Parses more text. Events are dispatched synchronously; an error thrown by `onEvent` propagates (the rest of the text is not parsed). */
  feed(text: string): void {
    let input = text;
    if (this.atStart && input !== '') {
      this.atStart = false;
      if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
    }
    let start = 0;
    if (this.afterCarriageReturn) {
      this.afterCarriageReturn = false;
      if (input.charCodeAt(0) === 10) start = 1;
    }
    if (this.partialLine !== '') {
      input = this.partialLine + input.slice(start);
      this.partialLine = '';
      start = 0;
    }
    const length = input.length;
    if (input.indexOf('\r', start) === -1) {
      for (let end = input.indexOf('\n', start); end !== -1; end = input.indexOf('\n', start)) {
        this.line(input, start, end);
        start = end + 1;
      }
    } else {
      let end = start;
      while (end < length) {
        const code = input.charCodeAt(end);
        if (code !== 10 && code !== 13) {
          end += 1;
          continue;
        }
        this.line(input, start, end);
        if (code === 13) {
          if (end + 1 === length) {
            this.afterCarriageReturn = true;
          } else if (input.charCodeAt(end + 1) === 10) {
            end += 1;
          }
        }
        start = end + 1;
        end = start;
      }
    }
    if (start < length) this.partialLine = input.slice(start);
  }

  /** The stream ended: a last line without its line end is taken, and a last event without its blank line is dispatched. */
  end(): void {
    if (this.partialLine !== '') {
      const line = this.partialLine;
      this.partialLine = '';
      this.line(line, 0, line.length);
    }
    this.dispatch();
  }

  private line(text: string, start: number, end: number): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    const first = text.charCodeAt(start);
    if (first === 58) return; // `:` comment
    // `data:` and `event:` first (nearly every line), then the general field form.
    if (first === 100 && end - start >= 5 && text.startsWith('data:', start)) {
      this.appendData(text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end));
      return;
    }
    const colon = text.indexOf(':', start);
    const fieldEnd = colon === -1 || colon > end ? end : colon;
    const field = text.slice(start, fieldEnd);
    const valueStart = fieldEnd === end ? end : text.charCodeAt(fieldEnd + 1) === 32 ? fieldEnd + 2 : fieldEnd + 1;
    if (field === 'data') this.appendData(text.slice(valueStart, end));
    else if (field === 'event') this.eventName = valueStart < end ? text.slice(valueStart, end) : undefined;
  }

  private appendData(value: string): void {
    this.data = this.dataLines === 0 ? value : `${this.data}\n${value}`;
    this.dataLines += 1;
  }

  private dispatch(): void {
    const { dataLines, data, eventName } = this;
    this.data = '';
    this.dataLines = 0;
    this.eventName = undefined;
    if (dataLines > 0) this.onEvent(eventName, data);
  }
}
