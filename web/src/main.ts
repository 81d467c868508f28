/**
 * The page: controls, the worker client, and drawing. State the browser tests read is on `window.fisorApp`.
 * URL parameters preset the controls: ?task=PointRobot&backend=wasm&threads=1&steps=200&seed=0&autorun=1
 * (map=0: do not draw the map after training; the tests use it).
 */
import { listTasks } from '../../rl/envs/registry.js';
import type { UpdateMetrics } from '../../rl/fisor/agent.js';
import { clearMap, CURVE_COLOURS, drawCurves, drawRollout, drawTruthMap, drawValueMap, toWorld } from './draw.js';
import { CURVES, type BackendChoice, type FromWorker, type Progress, type Reply, type Request } from './protocol.js';
import type { Rollout } from './session.js';
import { relaxedSimdAvailable } from '../../core/backends/wasm/features.js';

const MAP_N = 100;

/** What the page has done, for people (the status line) and for the browser tests. */
interface AppState {
  status: 'idle' | 'collecting' | 'training' | 'trained' | 'error';
  error: string | null;
  backend: { name: string; detail: string } | null;
  crossOriginIsolated: boolean;
  task: string;
  step: number;
  total: number;
  trainSeconds: number;
  metrics: UpdateMetrics[];
  map: { v: number; theta: number; n: number; values: number[] } | null;
  rollouts: (Rollout & { start: [number, number, number, number] })[];
  busy: number;
  /** A 'train' or 'load' is under way: the controls that would start another or change its inputs are disabled. */
  running: boolean;
}
const app: AppState = {
  status: 'idle', error: null, backend: null, crossOriginIsolated: globalThis.crossOriginIsolated === true,
  task: 'PointRobot', step: 0, total: 0, trainSeconds: 0, metrics: [], map: null, rollouts: [], busy: 0, running: false,
};
(window as unknown as { fisorApp: AppState }).fisorApp = app;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  task: $<HTMLSelectElement>('task'), backend: $<HTMLSelectElement>('backend'), threads: $<HTMLInputElement>('threads'),
  steps: $<HTMLInputElement>('steps'), seed: $<HTMLInputElement>('seed'), train: $<HTMLButtonElement>('train'),
  save: $<HTMLButtonElement>('save'), load: $<HTMLInputElement>('load'), backendRan: $('backend-ran'), isolation: $('isolation'),
  phase: $('phase'), progress: $<HTMLProgressElement>('progress'), curves: $<HTMLCanvasElement>('curves'), legend: $('legend'),
  vh: $<HTMLCanvasElement>('vh'), truth: $<HTMLCanvasElement>('truth'), v: $<HTMLInputElement>('v'), theta: $<HTMLInputElement>('theta'),
  vOut: $('v-out'), thetaOut: $('theta-out'), rolloutInfo: $('rollout-info'),
};

// ---- worker client ----
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let nextId = 1;
const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
let onProgress: (p: Progress) => void = () => {};
/** Set once the worker has failed outside a request (its script did not load, or it crashed): it answers nothing more. */
let workerDead: Error | null = null;
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.id === null) return onProgress(m.progress);
  const w = waiting.get(m.id)!;
  waiting.delete(m.id);
  if (m.ok) w.resolve(m.reply);
  else w.reject(new Error(m.error));
};
worker.onerror = (e) => {
  // A module worker whose script fails gets a plain Event (no message); either way no pending request will be
  // answered, so they are all rejected (the page would otherwise stay busy for ever).
  workerDead = new Error(`the training worker stopped (${(e as Partial<ErrorEvent>).message || 'its script failed to load or crashed'}); reload the page`);
  for (const w of waiting.values()) w.reject(workerDead);
  waiting.clear();
  fail(workerDead);
};
function ask<T extends Reply['type']>(req: Request, transfer: Transferable[] = []): Promise<Extract<Reply, { type: T }>> {
  if (workerDead) return Promise.reject(workerDead);
  const id = nextId++;
  app.busy++;
  return new Promise<Reply>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, req }, transfer);
  }).finally(() => app.busy--) as Promise<Extract<Reply, { type: T }>>;
}

/** The worker holds an agent that Save would write (set after a finished train or a load). */
let haveAgent = false;
/** Counts the agents the worker has held: a map or rollout answered for an earlier one is not drawn as the current one's. */
let generation = 0;

/**
 * Runs a 'train' or 'load' with the controls that would start another or change its inputs disabled: the worker
 * answers in order, so a load picked mid-training would silently replace the agent being trained (and the page
 * would then describe one agent while holding the other).
 */
async function exclusive(f: () => Promise<void>): Promise<void> {
  if (app.running) return;
  app.running = true;
  for (const c of [ui.task, ui.backend, ui.threads, ui.steps, ui.seed, ui.train, ui.load, ui.save]) c.disabled = true;
  try {
    await f();
  } finally {
    app.running = false;
    for (const c of [ui.task, ui.backend, ui.threads, ui.steps, ui.seed, ui.train, ui.load]) c.disabled = false;
    ui.save.disabled = !haveAgent;
  }
}

function fail(e: Error): void {
  app.status = 'error';
  app.error = e.message;
  ui.phase.textContent = `Error: ${e.message}`;
  ui.phase.className = 'error';
}

// ---- controls ----
for (const t of listTasks()) ui.task.add(new Option(`${t.name}${t.name === 'PointRobot' ? '' : ' (no map)'}`, t.name));
const params = new URLSearchParams(location.search);
/** URL parameters that name no option: said at once, naming them (the select would be left empty, and the worker refuse "''"). */
const badParams: string[] = [];
function preset(select: HTMLSelectElement, name: string, fallback: string): void {
  const v = params.get(name);
  select.value = v ?? fallback;
  if (v !== null && select.value !== v) {
    badParams.push(`URL parameter ${name}=${v} is not one of: ${Array.from(select.options, (o) => o.value).join(', ')}`);
    select.value = fallback;
  }
}
preset(ui.task, 'task', 'PointRobot');
// The fastest the browser runs: relaxed-SIMD FMA kernels where it validates them (Chromium does), else SIMD.
if (!relaxedSimdAvailable()) ui.backend.querySelector('option[value="wasm-fma"]')?.remove();
preset(ui.backend, 'backend', relaxedSimdAvailable() ? 'wasm-fma' : 'wasm');
ui.steps.value = params.get('steps') ?? ui.steps.value;
ui.seed.value = params.get('seed') ?? ui.seed.value;
if (params.get('threads') === '1') ui.threads.checked = false;
ui.isolation.textContent = app.crossOriginIsolated ? '(cross-origin isolated: 2 wasm threads possible)' : '(not cross-origin isolated: 1 wasm thread)';
ui.legend.innerHTML = CURVES.map((k) => `<span class="swatch" style="background:${CURVE_COLOURS[k]}"></span>${k.replace('Loss', '')}`).join('');
const sliceText = () => {
  ui.vOut.textContent = Number(ui.v.value).toFixed(1);
  ui.thetaOut.textContent = `${(Number(ui.theta.value) / Math.PI).toFixed(2)} π`;
};
sliceText();

async function useBackend(): Promise<void> {
  const b = await ask<'backend'>({ type: 'backend', backend: ui.backend.value as BackendChoice, threads: ui.threads.checked ? 2 : 1 });
  app.backend = { name: b.name, detail: b.detail };
  ui.backendRan.textContent = `${b.name} (${b.detail})`;
}

function plotCurves(): void {
  const series: Record<string, number[]> = {};
  for (const k of CURVES) series[k] = app.metrics.map((m) => m[k]);
  drawCurves(ui.curves, series, app.total);
}

async function redrawMaps(): Promise<void> {
  if (app.task !== 'PointRobot') {
    for (const c of [ui.vh, ui.truth]) clearMap(c);
    ui.rolloutInfo.textContent = `${app.task}: the feasibility map and click rollouts need PointRobot's (x, y, v, θ) state.`;
    return;
  }
  const v = Number(ui.v.value), theta = Number(ui.theta.value);
  const gen = generation;
  const m = await ask<'map'>({ type: 'map', v, theta, n: MAP_N });
  if (gen !== generation) return;
  app.map = { v, theta, n: m.n, values: Array.from(m.values) };
  drawValueMap(ui.vh, m.values, m.truth, m.n);
  drawTruthMap(ui.truth, m.truth, m.n);
  for (const r of app.rollouts.slice(-1)) if (r.start[2] === v && r.start[3] === theta) for (const c of [ui.vh, ui.truth]) drawRollout(c, r);
}

async function train(): Promise<void> {
  // Checked before any data is collected, naming the field (the worker would refuse them later, without it).
  const seed = Number(ui.seed.value), steps = Number(ui.steps.value);
  if (ui.seed.value.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`Seed must be a whole number in [0, 4294967295], got '${ui.seed.value}'`);
  if (ui.steps.value.trim() === '' || !Number.isInteger(steps) || steps < 1) throw new Error(`Steps must be a whole number >= 1, got '${ui.steps.value}'`);
  // The worker replaces its agent when the new run starts: from here Save has nothing finished to write.
  haveAgent = false;
  generation++;
  ui.phase.className = '';
  Object.assign(app, { status: 'collecting', error: null, task: ui.task.value, step: 0, metrics: [], map: null, rollouts: [] });
  for (const c of [ui.vh, ui.truth]) clearMap(c);
  app.total = Number(ui.steps.value);
  await useBackend();
  onProgress = (p) => {
    if (p.type === 'collect') {
      ui.phase.textContent = `Collecting behaviour data: ${p.done} / ${p.total} transitions`;
      ui.progress.value = p.done / p.total;
    } else {
      app.status = 'training';
      app.step = p.step;
      app.metrics.push(...p.metrics);
      const last = p.metrics.at(-1)!;
      ui.phase.textContent = `Training FISOR: step ${p.step} / ${p.total} (V_h loss ${last.vhLoss.toPrecision(3)}, actor loss ${last.actorLoss.toPrecision(3)}, feasible fraction ${last.feasibleFraction.toFixed(2)})`;
      ui.progress.value = p.step / p.total;
      plotCurves();
    }
  };
  const r = await ask<'trained'>({ type: 'train', task: app.task, seed, steps: app.total, datasetSeed: 0 });
  haveAgent = true;
  app.metrics = r.metrics;
  app.trainSeconds = r.seconds;
  app.backend = r.backend;
  ui.backendRan.textContent = `${r.backend.name} (${r.backend.detail})`;
  plotCurves();
  if (params.get('map') !== '0') await redrawMaps();
  app.status = 'trained';
  ui.phase.textContent = `Trained ${r.step} steps in ${r.seconds.toFixed(1)} s (${(r.step / r.seconds).toFixed(1)} steps/s) on ${app.backend!.name}.${app.task === 'PointRobot' ? ' Click a map to roll out.' : ''}`;
}

async function rolloutAt(canvas: HTMLCanvasElement, e: MouseEvent): Promise<void> {
  if (app.status !== 'trained' || app.running || app.task !== 'PointRobot') return;
  const [x, y] = toWorld(canvas, e.offsetX, e.offsetY);
  const v = Number(ui.v.value), theta = Number(ui.theta.value);
  ui.rolloutInfo.textContent = `Rolling out from (${x.toFixed(2)}, ${y.toFixed(2)}), v ${v}, θ ${theta.toFixed(2)}…`;
  const gen = generation;
  const { rollout } = await ask<'rollout'>({ type: 'rollout', x, y, v, theta });
  if (gen !== generation) return;
  app.rollouts.push({ ...rollout, start: [x, y, v, theta] });
  await redrawMaps();
  const bad = rollout.violations.filter(Boolean).length;
  ui.rolloutInfo.textContent = `From (${x.toFixed(2)}, ${y.toFixed(2)}), v ${v}, θ ${(theta / Math.PI).toFixed(2)}π: ${rollout.steps} steps, ` +
    `reward ${rollout.totalReward.toFixed(2)}, ${bad ? `${bad} steps in a hazard (cost ${rollout.totalCost})` : 'no violation'}${rollout.goalReached ? ', goal reached' : ''}.`;
}

async function save(): Promise<void> {
  const { buffer } = await ask<'checkpoint'>({ type: 'save' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([buffer], { type: 'application/octet-stream' }));
  a.download = `fisor-${app.task}-step${app.step}.fisor`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function load(file: File): Promise<void> {
  const buffer = await file.arrayBuffer();
  if (!app.backend) await useBackend();
  let r: Extract<Reply, { type: 'loaded' }>;
  try {
    r = await ask<'loaded'>({ type: 'load', buffer }, [buffer]);
  } catch (e) {
    // The worker keeps the agent it had when a file is refused: a trained one stays usable (maps, rollouts, Save).
    if (app.status !== 'trained' || workerDead) throw e;
    app.error = `${file.name}: ${(e as Error).message}`;
    ui.phase.textContent = `Error: ${app.error} (the agent shown is unchanged)`;
    ui.phase.className = 'error';
    return;
  }
  haveAgent = true;
  generation++;
  // The previous agent's curves and map go: they are not this agent's.
  Object.assign(app, { status: 'trained', error: null, task: r.task, step: r.step, total: r.step, metrics: [], map: null, rollouts: [] });
  plotCurves();
  ui.phase.className = '';
  ui.phase.textContent = `Loaded ${file.name}: ${r.task}, seed ${r.seed}, step ${r.step}.${r.task === 'PointRobot' ? ' Click a map to roll out.' : ''}`;
  ui.progress.value = 1;
  await redrawMaps();
}

const guard = (f: () => Promise<void>) => () => void f().catch(fail);
ui.train.onclick = guard(() => exclusive(train));
ui.save.onclick = guard(save);
ui.load.onchange = guard(async () => {
  const file = ui.load.files?.[0];
  // Cleared at once, so that picking the same file again (e.g. after fixing it) fires another change.
  ui.load.value = '';
  if (file) await exclusive(() => load(file));
});
for (const c of [ui.vh, ui.truth]) c.onclick = (e) => void rolloutAt(c, e).catch(fail);
for (const s of [ui.v, ui.theta]) {
  s.oninput = sliceText;
  s.onchange = () => {
    if (app.status === 'trained' && !app.running) void redrawMaps().catch(fail);
  };
}
if (badParams.length) fail(new Error(badParams.join('; ')));
else if (params.get('autorun') === '1') ui.train.click();
