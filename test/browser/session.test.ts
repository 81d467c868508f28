/**
 * The web app's session (web/src/session.ts) is the CLI's training run, step for step: the same seed gives
 * the same weights as rl/fisor/train.ts's `train()`. (The browser tests then compare the page with this
 * session, so together the page equals `fisor train`.) Also: its checkpoint ArrayBuffer round-trips.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../core/index.js';
import { checkpointFromArrayBuffer, checkpointToArrayBuffer } from '../../nn/index.js';
import { train } from '../../rl/fisor/train.js';
import { FisorSession } from '../../web/src/session.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web session', () => {
  it('trains the same weights as train() with the same seed', async () => {
    const s = FisorSession.create({ task: 'PointRobot', seed: 7, steps: 3, set: ['evalEvery=0', 'checkpointEvery=0'] });
    while (!s.done) s.update();
    const r = await train({ task: 'PointRobot', config: s.cfg, seed: 7, outDir: join(dir, 'run'), skipFinalEval: true });
    expect(r.step).toBe(3);
    const mine = s.agent.stateTensors();
    const theirs = r.agent.stateTensors();
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const k of Object.keys(mine)) expect(Array.from(mine[k].dataSync()), k).toEqual(Array.from(theirs[k].dataSync()));
  });

  it("trains the same weights as train() under the 'critics-first' schedule too (the safe presets' phases)", async () => {
    const set = ['evalEvery=0', 'checkpointEvery=0', 'schedule=critics-first', 'criticSteps=2', 'convergenceEvery=0'];
    const s = FisorSession.create({ task: 'PointRobot', seed: 7, steps: 4, set });
    while (!s.done) s.update();
    const r = await train({ task: 'PointRobot', config: s.cfg, seed: 7, outDir: join(dir, 'run-critics-first'), skipFinalEval: true });
    const mine = s.agent.stateTensors();
    const theirs = r.agent.stateTensors();
    for (const k of Object.keys(mine)) expect(Array.from(mine[k].dataSync()), k).toEqual(Array.from(theirs[k].dataSync()));
  });

  it('a checkpoint ArrayBuffer loads into a viewer with the same V_h and actions', () => {
    const s = FisorSession.create({ task: 'PointRobot', seed: 1, steps: 2, set: ['evalEvery=0'] });
    while (!s.done) s.update();
    const buf = s.checkpoint('wasm');
    const v = FisorSession.fromCheckpoint(buf);
    expect(v.step).toBe(2);
    expect(Array.from(v.valueMap(1, Math.PI / 4, 12).values)).toEqual(Array.from(s.valueMap(1, Math.PI / 4, 12).values));
    expect(v.rollout(-1.8, 0, 2, Math.PI / 4, 20).xs).toEqual(s.rollout(-1.8, 0, 2, Math.PI / 4, 20).xs);
    expect(() => v.update()).toThrow(/without data/);
    expect(() => FisorSession.fromCheckpoint(new Uint8Array(8))).toThrow(/checkpoint/);
  });

  it('a picked file of another task, another program or a hand edit is refused naming the metadata field', () => {
    const s = FisorSession.create({ task: 'PointRobot', seed: 1, steps: 2, set: ['evalEvery=0'] });
    while (!s.done) s.update();
    const good = checkpointFromArrayBuffer(s.checkpoint('wasm'));
    const tensors = Object.fromEntries(Object.entries(good.tensors).map(([k, v]) => [k, tensor(v, { shape: good.shapes[k] })]));
    /** The saved agent with its metadata edited (and the step replaced), re-packed as a valid container. */
    const edited = (edit: (m: Record<string, any>) => void, step = good.step) => {
      const metadata = JSON.parse(JSON.stringify(good.metadata));
      edit(metadata);
      return checkpointToArrayBuffer({ tensors, step, metadata });
    };
    expect(FisorSession.fromCheckpoint(edited(() => {})).task).toBe('PointRobot');
    const cases: [(m: Record<string, any>) => void, RegExp, number?][] = [
      [(m) => delete m.rngs, /metadata has no object 'rngs'/],
      [(m) => delete m.rngs.act, /metadata field 'rngs': FisorAgent\.setRngStates: missing Rng state 'act'/],
      [(m) => (m.rngs.actor = 'x'), /metadata field 'rngs': Rng\.setState/],
      [(m) => delete m.seed, /metadata field 'seed' must be an integer in \[0, 4294967295\], got undefined/],
      [(m) => (m.task = 'Nope'), /metadata field 'task': unknown task 'Nope'/],
      [(m) => (m.task = 'CarCircle'), /says task CarCircle \(observations 8, actions 2\) but its networks take observations 11, actions 2: a checkpoint of another task\?/],
      [(m) => (m.algo = 'bc-all'), /holds a bc-all run, not FISOR's/],
      [(m) => (m.config = null), /has no object 'config'/],
      [(m) => (m.config.batchSize = 0), /field 'config': config key 'batchSize' must be > 0/],
      [() => {}, /step 3 is beyond the run's config\.steps 2/, 3],
    ];
    for (const [edit, message, step] of cases) expect(() => FisorSession.fromCheckpoint(edited(edit, step))).toThrow(message);
  });

  it('a checkpoint saved before a config key existed loads with the value that reproduces the old behaviour', () => {
    const s = FisorSession.create({ task: 'PointRobot', seed: 1, steps: 2, set: ['evalEvery=0'] });
    while (!s.done) s.update();
    // An older version wrote configs without these keys (added later, each defaulting to the paper's behaviour).
    const old: Record<string, unknown> = { ...s.cfg };
    for (const k of ['vhActionGrid', 'fallbackGrid', 'fallbackMargin', 'violatingChoice']) delete old[k];
    (s as unknown as { cfg: unknown }).cfg = old;
    const v = FisorSession.fromCheckpoint(s.checkpoint('wasm'));
    expect([v.cfg.vhActionGrid, v.cfg.fallbackGrid, v.cfg.fallbackMargin, v.cfg.violatingChoice]).toEqual([0, 0, 0, 'safest']);
    expect(Array.from(v.valueMap(1, Math.PI / 4, 12).values)).toEqual(Array.from(s.valueMap(1, Math.PI / 4, 12).values));
  });
});
