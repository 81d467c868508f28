/**
 * Progress bar on stderr with rate (steps/s) and ETA. On a TTY it redraws in place (at most ~10 times a
 * second); when stderr is not a TTY it stays quiet and prints only the final line from `done()`.
 */
export interface ProgressOptions {
  label?: string;
  /** Unit name for the rate, default 'steps'. */
  unit?: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY behaviour on/off (default: stream.isTTY). */
  tty?: boolean;
  quiet?: boolean;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  if (sec < 10) return `${sec.toFixed(1)}s`;
  // Rounded to whole seconds before splitting: 119.6 s is 2m00s (rounding the remainder alone gave 1m60s).
  const t = Math.round(sec);
  if (t < 60) return `${t}s`;
  const m = Math.floor(t / 60), s = t % 60;
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class Progress {
  private current = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private finished = false;

  constructor(readonly total: number, private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? !!this.stream.isTTY;
  }

  /** Set the absolute position. */
  update(current: number): void {
    this.current = current;
    if (!this.tty || this.opts.quiet) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && current < this.total) return;
    this.lastDraw = now;
    this.stream.write(`\r${this.line()}\x1b[K`);
  }

  /** Advance by n. */
  tick(n = 1): void {
    this.update(this.current + n);
  }

  /** The status line (without carriage return). */
  line(): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    const frac = this.total > 0 ? Math.min(1, this.current / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const eta = rate > 0 ? (this.total - this.current) / rate : NaN;
    const label = this.opts.label ? `${this.opts.label} ` : '';
    const unit = this.opts.unit ?? 'steps';
    const tail = this.finished ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    return `${label}[${bar}] ${this.current}/${this.total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(0)} ${unit}/s ${tail}`;
  }

  /** Finish: print the final line (always, unless quiet). */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.opts.quiet) return;
    this.stream.write(`${this.tty ? '\r' : ''}${this.line()}${this.tty ? '\x1b[K' : ''}\n`);
  }
}
