import type { OutputStream } from './io.ts';

const CLEAR_LINE = '\r\x1b[2K';
const TICK_MS = 1_000;

/**
 * The live status line on stderr while waiting. On a terminal one line is rewritten in
 * place (and ticks every second, so the time left counts down); elsewhere (CI logs) a
 * line is printed only when the state changes, not when only the time left does.
 */
export class StatusLine {
  private lastKey?: string;
  private open = false;
  private ticker?: ReturnType<typeof setInterval>;
  private render?: () => string;

  constructor(
    private readonly stream: OutputStream,
    private readonly prefix: string,
  ) {}

  /** Shows the state; `key` identifies it (the line text may change while the key does not). */
  show(key: string, render: () => string): void {
    this.render = render;
    if (this.stream.isTTY) {
      this.draw();
      this.ticker ??= setInterval(() => this.draw(), TICK_MS);
      this.ticker.unref?.();
    } else if (key !== this.lastKey) {
      this.stream.write(`${this.prefix}${render()}\n`);
    }
    this.lastKey = key;
  }

  /** Ends the line, so what follows starts on a fresh one. */
  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.open) this.stream.write('\n');
    this.open = false;
  }

  private draw(): void {
    if (!this.render) return;
    this.stream.write(`${CLEAR_LINE}${this.prefix}${this.render()}`);
    this.open = true;
  }
}
