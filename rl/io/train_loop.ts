/**
 * The step loop both training loops share (FISOR's rl/fisor/train.ts and the baselines' rl/algos/train.ts):
 * the logging window, evaluations with the best checkpoint, the latest checkpoint at its cadence, the yield
 * that lets Ctrl-C in, and the final evaluation and save. Each loop brings its own update, evaluation and
 * checkpoint contents; what happens when, and what is written, is decided here once.
 */
import type { EvalResult } from '../fisor/evaluate.js';
import type { Tensor } from '../../core/index.js';
import { BEST_CHECKPOINT_DIR, BEST_RULE, checkFiniteState, isBetter, type BestRecord } from './best.js';
import type { RunSink } from './sink.js';

/** Where both loops keep a run's latest checkpoint (the best one: BEST_CHECKPOINT_DIR). */
export const CHECKPOINT_DIR = 'checkpoint';

/** A logging window's state, saved in checkpoints so that a resumed run writes the same lines as an uninterrupted one. */
export interface LogWindowState {
  count: number;
  sums: Record<string, number>;
}

/** Checks a checkpoint's `logWindow` field (absent is fine); returns an error message or null. */
export function badLogWindow(w: unknown, logEvery: number): string | null {
  if (w === undefined) return null;
  const o = w as { count?: unknown; sums?: unknown };
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const count = o?.count as number;
  if (isObject(w) && Number.isInteger(count) && count >= 0 && count < logEvery && isObject(o.sums) && Object.values(o.sums).every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return `field 'logWindow' must be { count in [0, logEvery), sums of finite numbers }, got ${JSON.stringify(w)}`;
}

/** Sums of each metric over the steps since the last train line. */
export class LogWindow {
  private sums: Record<string, number>;
  private count: number;
  /** Steps this process took in the window (the rate counts only those). */
  private here = 0;
  private start = performance.now();

  constructor(saved?: LogWindowState) {
    this.count = saved?.count ?? 0;
    this.sums = { ...(saved?.sums ?? {}) };
  }

  add(metrics: Record<string, number>): void {
    for (const [k, v] of Object.entries(metrics)) this.sums[k] = (this.sums[k] ?? 0) + v;
    this.count++;
    this.here++;
  }

  /** Steps added since the last flush (a resumed window counts the stopped process's too). */
  get pending(): number {
    return this.count;
  }

  /** The train line {type, step, mean of each metric, stepsPerSec}; the window starts again. */
  flush(step: number): Record<string, unknown> {
    const now = performance.now();
    const line: Record<string, unknown> = { type: 'train', step };
    for (const k of Object.keys(this.sums)) line[k] = this.sums[k] / this.count;
    line.stepsPerSec = (this.here * 1000) / (now - this.start);
    this.sums = {};
    this.count = 0;
    this.here = 0;
    this.start = now;
    return line;
  }

  state(): LogWindowState {
    return { count: this.count, sums: { ...this.sums } };
  }
}

/** What a loop brings to `runSteps`. */
export interface StepLoop {
  /** The step the run is at (0 fresh, the checkpoint's on resume). */
  step: number;
  /** The run's length (config.steps): the final evaluation and the `finished` mark come at this step. */
  steps: number;
  /** Stop here (as if interrupted) when before `steps`. */
  stopAt: number;
  logEvery: number;
  /** 0 = evaluate only at the end (and keep no best checkpoint). */
  evalEvery: number;
  /** 0 = save only at the end. */
  checkpointEvery: number;
  /** Evaluate before the first step of a fresh run (FISOR's loop, as the paper's code does). */
  evalAtStart: boolean;
  skipFinalEval?: boolean;
  window: LogWindow;
  /** The best evaluation so far (from the checkpoint on resume). */
  best: BestRecord | null;
  sink: RunSink;
  log(line: string): void;
  /** The cost limit and episode count the evaluations use (for the records). */
  costLimit: number;
  evalEpisodes: number;
  /** Fields that lead eval.json and best.json (the baselines' loop names its algorithm). */
  extra?: Record<string, unknown>;
  /** One training step, `index` = the step count before it; returns its metrics (the loop's own checks done). */
  update(index: number): Record<string, number>;
  writeLine(line: Record<string, unknown>): Promise<void>;
  /** One evaluation of the current policy. */
  evaluate(): EvalResult;
  /** Parameters, targets and optimizer state: checked for non-finite values at every train line and before each save. */
  stateTensors(): Record<string, Tensor>;
  /** The checkpoint metadata for the current state (it carries `finished` and the best record). */
  metadata(finished: boolean, best: BestRecord | null): Record<string, unknown>;
  /** After each save of the latest checkpoint (a fresh run that fails before the first keeps nothing). */
  onSaved?(): void;
  /** After the train line, before an evaluation (FISOR: the critics' convergence probe). */
  afterStep?(step: number): Promise<void>;
  onStep?(step: number): void;
  /** Polled after every step: true stops with a checkpoint. */
  shouldStop?(): boolean;
}

export interface StepLoopResult {
  step: number;
  /** Reached `steps` (else stopped by stopAt / shouldStop, with a checkpoint). */
  finished: boolean;
  /** ms spent in `update`. */
  trainMs: number;
  lastEval: EvalResult | null;
  best: BestRecord | null;
}

/**
 * Runs the steps from loop.step: a train line every logEvery steps (and at `steps`), the state checked at each;
 * an evaluation every evalEvery steps (with the best checkpoint by OSRL's rule) and at the end; the latest
 * checkpoint every checkpointEvery steps and at the end (or where it stopped).
 */
export async function runSteps(loop: StepLoop): Promise<StepLoopResult> {
  const checkState = (context: string) => checkFiniteState(loop.stateTensors(), context);
  const saveTo = (dir: string, step: number, finished: boolean, best: BestRecord | null) =>
    loop.sink.saveCheckpoint(dir, { tensors: loop.stateTensors(), step, metadata: loop.metadata(finished, best) });
  let step = loop.step;
  let best = loop.best;
  let lastEval: EvalResult | null = null;
  let lastEvalStep = -1;
  // Resumed at a step whose periodic evaluation already ran (the stopped process evaluated, then saved): it does not
  // run again. A resume with --steps equal to that step used to evaluate it twice, from a moved evaluation stream,
  // writing two different eval lines for one step.
  if (step > 0 && loop.evalEvery > 0 && step % loop.evalEvery === 0) lastEvalStep = step;
  const evaluate = async () => {
    lastEval = loop.evaluate();
    lastEvalStep = step;
    best = await recordEvaluation(lastEval, step, best, loop, async (now) => {
      checkState(`at step ${step} (checked before saving the best checkpoint)`);
      await saveTo(BEST_CHECKPOINT_DIR, step, false, now);
    });
  };
  const save = async (finished: boolean) => {
    checkState(`at step ${step} (checked before saving)`);
    await saveTo(CHECKPOINT_DIR, step, finished, best);
    loop.onSaved?.();
  };
  if (step === 0 && loop.evalAtStart && loop.evalEvery > 0) await evaluate();
  let trainMs = 0;
  let lastYield = performance.now();
  while (step < loop.stopAt) {
    const t0 = performance.now();
    const metrics = loop.update(step);
    trainMs += performance.now() - t0;
    step++;
    loop.window.add(metrics);
    if (step % loop.logEvery === 0 || step === loop.steps) {
      checkState(`at step ${step} (parameters and optimizer state are checked at every log line)`);
      await loop.writeLine(loop.window.flush(step));
    }
    await loop.afterStep?.(step);
    if (loop.evalEvery > 0 && step % loop.evalEvery === 0) await evaluate();
    if (loop.checkpointEvery > 0 && step % loop.checkpointEvery === 0 && step < loop.stopAt) await save(false);
    loop.onStep?.(step);
    // Let signal handlers (Ctrl-C) run: a synchronous loop would never see them. Often (every 20 ms), because
    // a launcher such as tsx kills a child that does not acknowledge a forwarded SIGINT within ~60 ms; with
    // setImmediate (Node), which passes through the event loop's poll phase without setTimeout's 1 ms clamp.
    // Timing only decides when to yield, never what is computed.
    if (performance.now() - lastYield > 20) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    if (step < loop.stopAt && loop.shouldStop?.()) break;
  }
  const finished = step >= loop.steps;
  // Finished without a step in this process (a resume with --steps equal to the checkpoint's step): the window the
  // stopped process saved still holds steps after its last train line; they get theirs now.
  if (finished && loop.window.pending > 0) {
    checkState(`at step ${step} (parameters and optimizer state are checked at every log line)`);
    await loop.writeLine(loop.window.flush(step));
  }
  if (finished && !loop.skipFinalEval && lastEvalStep !== step) await evaluate();
  else if (finished && lastEval === null && lastEvalStep === step) {
    // That step's evaluation is the one the stopped process wrote, if eval.json is still it (a process that went on
    // past its last checkpoint may have written a later step's, which is not this run's result).
    const saved = await loop.sink.read('eval.json');
    const parsed = saved ? (JSON.parse(saved) as EvalResult & { step?: number }) : null;
    if (parsed?.step === step) lastEval = parsed;
  }
  await save(finished);
  return { step, finished, trainMs, lastEval, best };
}

/**
 * Writes an evaluation's metrics line and eval.json and logs it; with periodic evaluation, keeps the best
 * checkpoint by OSRL's rule (best.json says which step). Returns the best record after it.
 */
async function recordEvaluation(ev: EvalResult, step: number, best: BestRecord | null, loop: StepLoop, saveBest: (now: BestRecord) => Promise<void>): Promise<BestRecord | null> {
  const { costLimit } = loop;
  const { normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, seconds } = ev;
  await loop.writeLine({ type: 'eval', step, normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, costLimit, seconds });
  await loop.sink.writeAtomic('eval.json', JSON.stringify({ ...loop.extra, step, costLimit, ...ev }, null, 2) + '\n');
  loop.log(`eval step ${step}: normalized reward ${normalizedReward.toFixed(3)}, normalized cost ${normalizedCost.toFixed(3)} (cost limit ${costLimit}, ${loop.evalEpisodes} episodes, ${seconds.toFixed(1)} s)`);
  if (loop.evalEvery <= 0 || !isBetter(ev, best)) return best;
  const now = { step, normalizedReward, normalizedCost };
  await saveBest(now);
  await loop.sink.writeAtomic('best.json', JSON.stringify({ rule: BEST_RULE, ...loop.extra, costLimit, ...now }, null, 2) + '\n');
  return now;
}

/** One turn of the event loop: setImmediate where it exists (Node), else setTimeout 0 (browsers, workers). */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise<void>((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
