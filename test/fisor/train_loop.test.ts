/**
 * The step loop both training loops share (rl/io/train_loop.ts), driven by a fake learner: what is written
 * when, the best checkpoint by OSRL's rule, and a run stopped inside a logging window and resumed from the
 * window's saved state writing the same lines as an uninterrupted one.
 */
import { describe, expect, it, vi } from 'vitest';
import { setBackend, tensor, type Tensor } from '../../core/index.js';
import type { EvalResult } from '../../rl/fisor/evaluate.js';
import type { CheckpointContent } from '../../nn/checkpoint.js';
import { BEST_CHECKPOINT_DIR, type BestRecord } from '../../rl/io/best.js';
import { MemoryRunSink } from '../../rl/io/memory_sink.js';
import { badLogWindow, LogWindow, runSteps, type LogWindowState, type StepLoop } from '../../rl/io/train_loop.js';

/** A sink that records each checkpoint save (which one, at what step, the metadata's finished and best). */
class RecordingSink extends MemoryRunSink {
  readonly saves: { which: string; step: number; finished: boolean; best: BestRecord | null }[] = [];
  override async saveCheckpoint(name: string, content: CheckpointContent): Promise<void> {
    const m = content.metadata as { finished: boolean; best: BestRecord | null };
    this.saves.push({ which: name === BEST_CHECKPOINT_DIR ? 'best' : 'latest', step: content.step, finished: m.finished, best: m.best });
    await super.saveCheckpoint(name, content);
  }
}

/** A learner whose metric at step i is i, evaluated with cost 3, 1, 1, 2, ... (a list) and reward = the step. */
function fakeRun(o: { start?: number; window?: LogWindowState; stopAt?: number; costs?: number[]; evalAtStart?: boolean; over?: Partial<StepLoop> }) {
  const lines: Record<string, unknown>[] = [];
  const sink = new RecordingSink();
  const costs = [...(o.costs ?? [])];
  let at = o.start ?? 0;
  const loop: StepLoop = {
    step: o.start ?? 0, steps: 7, stopAt: o.stopAt ?? 7, logEvery: 3, evalEvery: 2, checkpointEvery: 4,
    evalAtStart: o.evalAtStart ?? false, window: new LogWindow(o.window), best: null,
    sink, log: () => {}, costLimit: 10, evalEpisodes: 1,
    update: (index) => {
      at = index + 1;
      return { loss: index, other: 2 * index };
    },
    writeLine: async (line) => {
      lines.push(line);
    },
    evaluate: () => ({ normalizedReward: at, normalizedCost: costs.shift() ?? 5, normalizedRewardStd: 0, normalizedCostStd: 0, meanReturn: 0, meanCost: 0, safeFraction: 1, seconds: 0 }) as unknown as EvalResult,
    stateTensors: () => ({}),
    metadata: (finished, best) => ({ finished, best }),
    ...o.over,
  };
  return { loop, lines, saves: sink.saves };
}

const trainLines = (lines: Record<string, unknown>[]) => lines.filter((l) => l.type === 'train').map(({ stepsPerSec: _, ...rest }) => rest);

describe('shared training step loop', () => {
  it('logs every logEvery steps and at the end, evaluates every evalEvery steps and at the end, saves every checkpointEvery steps and at the end', async () => {
    const { loop, lines, saves } = fakeRun({ costs: [3, 1, 1] });
    const r = await runSteps(loop);
    expect(r).toMatchObject({ step: 7, finished: true });
    expect(trainLines(lines)).toEqual([
      { type: 'train', step: 3, loss: 1, other: 2 },
      { type: 'train', step: 6, loss: 4, other: 8 },
      { type: 'train', step: 7, loss: 6, other: 12 },
    ]);
    expect(lines.filter((l) => l.type === 'eval').map((l) => [l.step, l.normalizedCost])).toEqual([[2, 3], [4, 1], [6, 1], [7, 5]]);
    // Best: step 2 (cost 3), then step 4 (cost 1); step 6 ties on cost with a higher reward (6 > 4) and wins.
    expect(saves.filter((s) => s.which === 'best').map((s) => s.step)).toEqual([2, 4, 6]);
    expect(saves.filter((s) => s.which === 'latest').map((s) => [s.step, s.finished])).toEqual([[4, false], [7, true]]);
    expect(r.best).toEqual({ step: 6, normalizedReward: 6, normalizedCost: 1 });
    expect(saves.at(-1)!.best).toEqual(r.best);
    expect(JSON.parse((loop.sink as MemoryRunSink).files.get('best.json')!)).toMatchObject({ step: 6, costLimit: 10 });
  });

  it('evaluates at step 0 only when asked (FISOR) and only on a fresh run', async () => {
    const fresh = fakeRun({ evalAtStart: true });
    await runSteps(fresh.loop);
    expect(fresh.lines.find((l) => l.type === 'eval')!.step).toBe(0);
    const resumed = fakeRun({ evalAtStart: true, start: 5 });
    await runSteps(resumed.loop);
    expect(resumed.lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([6, 7]);
  });

  it('a run stopped inside a logging window and resumed from its saved state writes the lines of an uninterrupted one', async () => {
    const full = fakeRun({});
    await runSteps(full.loop);
    const first = fakeRun({ stopAt: 5 });
    const r1 = await runSteps(first.loop);
    expect(r1).toMatchObject({ step: 5, finished: false });
    expect(first.saves.at(-1)).toMatchObject({ which: 'latest', step: 5, finished: false });
    const saved = first.loop.window.state();
    expect(saved).toEqual({ count: 2, sums: { loss: 3 + 4, other: 6 + 8 } });
    const second = fakeRun({ start: 5, window: JSON.parse(JSON.stringify(saved)) });
    await runSteps(second.loop);
    expect(trainLines([...first.lines, ...second.lines])).toEqual(trainLines(full.lines));
  });

  it('a train line holds the mean of each metric over the window (a resumed window included) and the updates/s of the steps this process took', () => {
    let clock = 1000;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const w = new LogWindow({ count: 2, sums: { a: 4, b: 1 } });
      expect(w.pending).toBe(2);
      w.add({ a: 5, b: 2 });
      expect(w.pending).toBe(3);
      expect(w.state()).toEqual({ count: 3, sums: { a: 9, b: 3 } });
      clock = 1500;
      // (4 + 5) / 3 and (1 + 2) / 3; one step in this process in 0.5 s (the two saved ones ran elsewhere).
      expect(w.flush(3)).toEqual({ type: 'train', step: 3, a: 3, b: 1, stepsPerSec: 2 });
      expect(w.state()).toEqual({ count: 0, sums: {} });
      expect(w.pending).toBe(0);
      w.add({ a: 1 });
      w.add({ a: 3 });
      clock = 1750;
      // Two steps in the 0.25 s since the last flush.
      expect(w.flush(5)).toEqual({ type: 'train', step: 5, a: 2, stepsPerSec: 8 });
    } finally {
      spy.mockRestore();
    }
  });

  it('records: the eval line and eval.json carry the step and cost limit, best.json the rule, each best save its own record and finished false', async () => {
    const { loop, lines, saves } = fakeRun({ costs: [3, 1, 1], over: { extra: { algo: 'x' } } });
    await runSteps(loop);
    expect(lines.find((l) => l.type === 'eval')).toEqual({
      type: 'eval', step: 2, normalizedReward: 2, normalizedCost: 3, normalizedRewardStd: 0, normalizedCostStd: 0, meanReturn: 0, meanCost: 0, safeFraction: 1, costLimit: 10, seconds: 0,
    });
    const files = (loop.sink as MemoryRunSink).files;
    expect(JSON.parse(files.get('eval.json')!)).toMatchObject({ algo: 'x', step: 7, costLimit: 10, normalizedCost: 5, normalizedReward: 7 });
    expect(JSON.parse(files.get('best.json')!)).toEqual({ rule: 'lowest normalized cost, then highest normalized reward (OSRL)', algo: 'x', costLimit: 10, step: 6, normalizedReward: 6, normalizedCost: 1 });
    expect(saves.filter((s) => s.which === 'best')).toEqual([
      { which: 'best', step: 2, finished: false, best: { step: 2, normalizedReward: 2, normalizedCost: 3 } },
      { which: 'best', step: 4, finished: false, best: { step: 4, normalizedReward: 4, normalizedCost: 1 } },
      { which: 'best', step: 6, finished: false, best: { step: 6, normalizedReward: 6, normalizedCost: 1 } },
    ]);
    // The latest checkpoint at step 4 records the best up to then.
    expect(saves.find((s) => s.which === 'latest')).toEqual({ which: 'latest', step: 4, finished: false, best: { step: 4, normalizedReward: 4, normalizedCost: 1 } });
  });

  it('evalEvery 0: no evaluation at the start even when asked, one at the end, and no best checkpoint', async () => {
    const { loop, lines, saves } = fakeRun({ costs: [0], evalAtStart: true, over: { evalEvery: 0 } });
    const r = await runSteps(loop);
    expect(lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([7]);
    expect(saves.filter((s) => s.which === 'best')).toEqual([]);
    expect((loop.sink as MemoryRunSink).files.has('best.json')).toBe(false);
    expect(r.best).toBeNull();
    expect(r.lastEval).toMatchObject({ normalizedCost: 0 });
  });

  it('a stop on a checkpoint step saves that step once; the end saves once, finished; onSaved follows each latest save', async () => {
    let saved = 0;
    const stopped = fakeRun({ stopAt: 4, over: { onSaved: () => saved++ } });
    expect(await runSteps(stopped.loop)).toMatchObject({ step: 4, finished: false });
    expect(stopped.saves.filter((s) => s.which === 'latest').map((s) => [s.step, s.finished])).toEqual([[4, false]]);
    expect(saved).toBe(1);
    const full = fakeRun({ over: { steps: 8, stopAt: 8, onSaved: () => saved++ } });
    await runSteps(full.loop);
    expect(full.saves.filter((s) => s.which === 'latest').map((s) => [s.step, s.finished])).toEqual([[4, false], [8, true]]);
    expect(saved).toBe(3);
  });

  it('hooks see the step count after each step; shouldStop, polled after every step, stops there with a checkpoint', async () => {
    const seen: number[] = [], after: number[] = [];
    const { loop, saves, lines } = fakeRun({ over: { onStep: (s) => seen.push(s), afterStep: async (s) => void after.push(s), shouldStop: () => seen.length >= 3 } });
    const r = await runSteps(loop);
    expect(r).toMatchObject({ step: 3, finished: false });
    expect(seen).toEqual([1, 2, 3]);
    expect(after).toEqual([1, 2, 3]);
    expect(saves.at(-1)).toMatchObject({ which: 'latest', step: 3, finished: false });
    expect(lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([2]); // no final evaluation when stopped
    // Asked to stop one step before stopAt: it stops there too.
    const late = fakeRun({ stopAt: 5, over: { shouldStop: () => late.lines.some((l) => l.type === 'train') && (late.loop.window.pending === 1) } });
    expect(await runSteps(late.loop)).toMatchObject({ step: 4, finished: false });
  });

  it('trainMs sums the time spent in update, and the train lines\' updates/s is the steps over the time between lines', async () => {
    let clock = 0;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const { loop, lines } = fakeRun({ over: { window: new LogWindow() } });
      const update = loop.update;
      loop.update = (i) => {
        clock += 10; // each update takes 10 ms; nothing else does
        return update(i);
      };
      const r = await runSteps(loop);
      expect(r.trainMs).toBe(70);
      expect(lines.filter((l) => l.type === 'train').map((l) => [l.step, l.stepsPerSec])).toEqual([[3, 100], [6, 100], [7, 100]]);
    } finally {
      spy.mockRestore();
    }
  });

  it('a non-finite state is never saved: the check before a best save, at a log line, before a latest save, and at a resumed run\'s closing line', async () => {
    setBackend('js');
    const bad: Record<string, Tensor> = { w: tensor([1, NaN]) };
    const cases: [Partial<StepLoop>, { start?: number; window?: LogWindowState }, RegExp][] = [
      [{}, {}, /at step 2 \(checked before saving the best checkpoint\)/],
      [{ evalEvery: 0 }, {}, /at step 3 \(parameters and optimizer state are checked at every log line\)/],
      [{ evalEvery: 0, logEvery: 100 }, {}, /at step 4 \(checked before saving\)/],
      [{ evalEvery: 0, logEvery: 100 }, { start: 7, window: { count: 2, sums: { loss: 1 } } }, /at step 7 \(parameters and optimizer state are checked at every log line\)/],
    ];
    for (const [over, start, re] of cases) {
      const { loop, saves, lines } = fakeRun({ ...start, over: { ...over, stateTensors: () => bad } });
      await expect(runSteps(loop)).rejects.toThrow(re);
      expect(saves).toEqual([]);
      expect(lines.filter((l) => l.type === 'train')).toEqual([]);
      expect((await runSteps(fakeRun({ ...start, over }).loop)).finished).toBe(true); // the same run with a finite state goes through
    }
  });

  it("the last step's train line is written in the step, before afterStep's lines and the final evaluation, as at every log step", async () => {
    const { loop, lines } = fakeRun({});
    loop.afterStep = async (s) => {
      if (s === 6 || s === 7) lines.push({ type: 'probe', step: s });
    };
    await runSteps(loop);
    expect(lines.filter((l) => (l.step as number) >= 6).map((l) => `${l.type} ${l.step}`)).toEqual(['train 6', 'probe 6', 'eval 6', 'train 7', 'probe 7', 'eval 7']);
  });

  it('yields to the event loop once 20 ms have passed since the last yield, so that a signal handler (a macrotask) can ask it to stop', async () => {
    let clock = 0;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      let stop = false;
      const { loop } = fakeRun({ over: { shouldStop: () => stop } });
      const update = loop.update;
      loop.update = (i) => {
        clock += 25; // every step takes longer than the 20 ms between yields
        return update(i);
      };
      // Everything else the fake loop awaits resolves as a microtask: only the loop's own yield lets this run.
      setImmediate(() => {
        stop = true;
      });
      expect(await runSteps(loop)).toMatchObject({ step: 1, finished: false });
    } finally {
      spy.mockRestore();
    }
  });

  it('checks a saved window: count in [0, logEvery), finite sums', () => {
    expect(badLogWindow(undefined, 3)).toBeNull();
    expect(badLogWindow({ count: 2, sums: { a: 1 } }, 3)).toBeNull();
    expect(badLogWindow({ count: 3, sums: {} }, 3)).toMatch(/logWindow/);
    expect(badLogWindow({ count: 1, sums: { a: null } }, 3)).toMatch(/finite/);
    expect(badLogWindow([1], 3)).toMatch(/logWindow/);
  });
});
