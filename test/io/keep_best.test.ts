/**
 * keepBestUpTo (rl/io/run_guard.ts): on resume the best checkpoint must be the state the resumed checkpoint's best
 * record names; one saved after the resumed step (a process stopped between saving a new best and its next latest
 * checkpoint), one at another step, or an unreadable one is deleted with best.json and the record starts over.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend, tensor } from '../../core/index.js';
import { BEST_CHECKPOINT_DIR } from '../../rl/io/best.js';
import { MemoryRunSink } from '../../rl/io/memory_sink.js';
import { NodeRunSink } from '../../rl/io/node_sink.js';
import { keepBestUpTo } from '../../rl/io/run_guard.js';

const root = mkdtempSync(join(tmpdir(), 'keep-best-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (step: number) => ({ step, normalizedReward: 0.5, normalizedCost: 0.25 });

async function sinkWithBest(bestStep: number | null): Promise<MemoryRunSink> {
  setBackend('js');
  const sink = new MemoryRunSink('mem');
  await sink.writeAtomic('best.json', '{}\n');
  await sink.writeAtomic('eval.json', '{}\n');
  if (bestStep !== null) await sink.saveCheckpoint(BEST_CHECKPOINT_DIR, { tensors: { w: tensor([1, 2]) }, step: bestStep, metadata: {} });
  return sink;
}

describe('keepBestUpTo', () => {
  it('keeps a best checkpoint at the step its record names, at or before the resumed step', async () => {
    for (const [bestStep, resumedStep] of [[4, 4], [2, 6]]) {
      const sink = await sinkWithBest(bestStep);
      const lines: string[] = [];
      expect(await keepBestUpTo(sink, resumedStep, record(bestStep), (l) => lines.push(l))).toEqual(record(bestStep));
      expect(await sink.hasCheckpoint(BEST_CHECKPOINT_DIR)).toBe(true);
      expect(sink.files.has('best.json')).toBe(true);
      expect(lines).toEqual([]);
    }
  });

  it('without a best checkpoint the record is kept as it is (a run with no periodic evaluation)', async () => {
    const sink = await sinkWithBest(null);
    expect(await keepBestUpTo(sink, 6, null, () => {})).toBeNull();
    expect(await keepBestUpTo(sink, 6, record(3), () => {})).toEqual(record(3));
    expect(sink.files.has('best.json')).toBe(true);
  });

  it('deletes a best saved after the resumed step (a discarded future) with best.json, and starts the record over', async () => {
    const sink = await sinkWithBest(8);
    const lines: string[] = [];
    expect(await keepBestUpTo(sink, 6, record(2), (l) => lines.push(l))).toBeNull();
    expect(await sink.hasCheckpoint(BEST_CHECKPOINT_DIR)).toBe(false);
    expect(sink.files.has('best.json')).toBe(false);
    expect(sink.files.has('eval.json')).toBe(true); // only the best's files go
    expect(lines).toEqual([expect.stringMatching(/mem\/checkpoint-best holds step 8, after the resumed step 6 .*deleted it and best\.json/)]);
  });

  it('deletes a best at another step than the record names, or when the checkpoint records no best', async () => {
    const sink = await sinkWithBest(4);
    const lines: string[] = [];
    expect(await keepBestUpTo(sink, 6, record(2), (l) => lines.push(l))).toBeNull();
    expect(lines[0]).toMatch(/holds step 4, not step 2 that the resumed checkpoint records as best/);
    const other = await sinkWithBest(4);
    expect(await keepBestUpTo(other, 6, null, (l) => lines.push(l))).toBeNull();
    expect(lines[1]).toMatch(/holds step 4, but the resumed checkpoint records no best/);
    expect(await other.hasCheckpoint(BEST_CHECKPOINT_DIR)).toBe(false);
  });

  it('deletes an unreadable best checkpoint on disk (NodeRunSink.remove), and nothing else of the run', async () => {
    setBackend('js');
    const dir = join(root, 'run');
    const sink = new NodeRunSink(dir);
    await sink.open();
    await sink.saveCheckpoint('checkpoint', { tensors: { w: tensor([1]) }, step: 6, metadata: {} });
    await sink.saveCheckpoint(BEST_CHECKPOINT_DIR, { tensors: { w: tensor([1]) }, step: 6, metadata: {} });
    writeFileSync(join(dir, BEST_CHECKPOINT_DIR, 'tensors.bin'), 'torn');
    await sink.writeAtomic('best.json', '{}\n');
    const lines: string[] = [];
    expect(await keepBestUpTo(sink, 6, record(6), (l) => lines.push(l))).toBeNull();
    expect(lines[0]).toMatch(/checkpoint-best could not be read; deleted it/);
    expect(readdirSync(dir).sort()).toEqual(['.lock', 'checkpoint']);
    await expect(sink.remove('.lock')).rejects.toThrow(/'\.lock' is not an entry of run/);
    await expect(sink.remove('../x')).rejects.toThrow(/'\.\.\/x' is not an entry of run/);
    await sink.close();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});
