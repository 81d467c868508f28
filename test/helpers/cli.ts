/**
 * Runs the `fisor` CLI in-process (rl/cli/main.ts) with stdout and stderr captured: the one helper every CLI
 * test uses.
 */
import { Writable } from 'node:stream';
import { main } from '../../rl/cli/main.js';

/** A writable stream that keeps what is written as text. */
export function textSink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** `fisor ...argv`: the exit code and everything written to stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = textSink(), stderr = textSink();
  const code = await main(argv, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}
