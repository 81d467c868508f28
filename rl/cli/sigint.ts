/**
 * Ctrl-C for the training commands (FISOR's rl/cli/train.ts and `train --algo`): the first SIGINT asks the
 * loop to stop after the current step (it polls `shouldStop`, saves a checkpoint, the command exits 130); a
 * second one, more than a second later, quits at once without saving.
 */
import type { CliIO } from './command.js';

export function sigintStopper(io: CliIO): { shouldStop: () => boolean; dispose: () => void } {
  let stop = false;
  let stopAt = 0;
  const onSigint = () => {
    // One Ctrl-C may arrive twice (the terminal's process group and bin/fisor.mjs's forwarding): a second
    // one counts only after a second.
    if (stop && performance.now() - stopAt > 1000) process.exit(130);
    if (stop) return;
    stop = true;
    stopAt = performance.now();
    io.stderr.write('\ninterrupted: saving a checkpoint after this step (Ctrl-C again quits without saving)\n');
  };
  process.on('SIGINT', onSigint);
  return { shouldStop: () => stop, dispose: () => process.off('SIGINT', onSigint) };
}
