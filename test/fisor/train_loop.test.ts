/**
 * The step loop both training loops share (rl/io/train_loop.ts), driven by a fake learner: what is written
 * when, the best checkpoint by OSRL's rule, and a run stopped inside a logging window and resumed from the
 * window's saved state writing the same lines as an uninterrupted one.
 */
import { describe, expect, it } from 'vitest';
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
function fakeRun(o: { start?: number; window?: LogWindowState; stopAt?: number; costs?: number[]; evalAtStart?: boolean }) {
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

  it('checks a saved window: count in [0, logEvery), finite sums', () => {
    expect(badLogWindow(undefined, 3)).toBeNull();
    expect(badLogWindow({ count: 2, sums: { a: 1 } }, 3)).toBeNull();
    expect(badLogWindow({ count: 3, sums: {} }, 3)).toMatch(/logWindow/);
    expect(badLogWindow({ count: 1, sums: { a: null } }, 3)).toMatch(/finite/);
    expect(badLogWindow([1], 3)).toMatch(/logWindow/);
  });
});
