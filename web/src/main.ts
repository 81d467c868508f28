/**
 * The page: controls, the worker client, and drawing. State the browser tests read is on `window.fisorApp`.
 * URL parameters preset the controls: ?task=PointRobot&backend=wasm&threads=1&steps=200&seed=0&autorun=1
 * (map=0: do not draw the map after training; the tests use it).
 */
import { listTasks } from '../../rl/envs/registry.js';
import type { UpdateMetrics } from '../../rl/fisor/agent.js';
import { CURVE_COLOURS, drawCurves, drawRollout, drawTruthMap, drawValueMap, toWorld } from './draw.js';
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
}
const app: AppState = {
  status: 'idle', error: null, backend: null, crossOriginIsolated: globalThis.crossOriginIsolated === true,
  task: 'PointRobot', step: 0, total: 0, trainSeconds: 0, metrics: [], map: null, rollouts: [], busy: 0,
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
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.id === null) return onProgress(m.progress);
  const w = waiting.get(m.id)!;
  waiting.delete(m.id);
  if (m.ok) w.resolve(m.reply);
  else w.reject(new Error(m.error));
};
worker.onerror = (e) => fail(new Error(`worker: ${e.message}`));
function ask<T extends Reply['type']>(req: Request, transfer: Transferable[] = []): Promise<Extract<Reply, { type: T }>> {
  const id = nextId++;
  app.busy++;
  return new Promise<Reply>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, req }, transfer);
  }).finally(() => app.busy--) as Promise<Extract<Reply, { type: T }>>;
}

function fail(e: Error): void {
  app.status = 'error';
  app.error = e.message;
  ui.phase.textContent = `Error: ${e.message}`;
  ui.phase.className = 'error';
  ui.train.disabled = false;
}

// ---- controls ----
for (const t of listTasks()) ui.task.add(new Option(`${t.name}${t.name === 'PointRobot' ? '' : ' (no map)'}`, t.name));
const params = new URLSearchParams(location.search);
ui.task.value = params.get('task') ?? 'PointRobot';
// The fastest the browser runs: relaxed-SIMD FMA kernels where it validates them (Chromium does), else SIMD.
if (!relaxedSimdAvailable()) ui.backend.querySelector('option[value="wasm-fma"]')?.remove();
ui.backend.value = params.get('backend') ?? (relaxedSimdAvailable() ? 'wasm-fma' : 'wasm');
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
    ui.rolloutInfo.textContent = `${app.task}: the feasibility map and click rollouts need PointRobot's (x, y, v, θ) state.`;
    return;
  }
  const v = Number(ui.v.value), theta = Number(ui.theta.value);
  const m = await ask<'map'>({ type: 'map', v, theta, n: MAP_N });
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
  ui.train.disabled = true;
  ui.save.disabled = true;
  ui.phase.className = '';
  Object.assign(app, { status: 'collecting', error: null, task: ui.task.value, step: 0, metrics: [], map: null, rollouts: [] });
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
  app.metrics = r.metrics;
  app.trainSeconds = r.seconds;
  app.backend = r.backend;
  ui.backendRan.textContent = `${r.backend.name} (${r.backend.detail})`;
  plotCurves();
  if (params.get('map') !== '0') await redrawMaps();
  app.status = 'trained';
  ui.phase.textContent = `Trained ${r.step} steps in ${r.seconds.toFixed(1)} s (${(r.step / r.seconds).toFixed(1)} steps/s) on ${app.backend!.name}. Click a map to roll out.`;
  ui.train.disabled = false;
  ui.save.disabled = false;
}

async function rolloutAt(canvas: HTMLCanvasElement, e: MouseEvent): Promise<void> {
  if (app.status !== 'trained' || app.task !== 'PointRobot') return;
  const [x, y] = toWorld(canvas, e.offsetX, e.offsetY);
  const v = Number(ui.v.value), theta = Number(ui.theta.value);
  ui.rolloutInfo.textContent = `Rolling out from (${x.toFixed(2)}, ${y.toFixed(2)}), v ${v}, θ ${theta.toFixed(2)}…`;
  const { rollout } = await ask<'rollout'>({ type: 'rollout', x, y, v, theta });
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
  const r = await ask<'loaded'>({ type: 'load', buffer }, [buffer]);
  Object.assign(app, { status: 'trained', error: null, task: r.task, step: r.step, total: r.step, metrics: [], rollouts: [] });
  ui.phase.className = '';
  ui.phase.textContent = `Loaded ${file.name}: ${r.task}, seed ${r.seed}, step ${r.step}. Click a map to roll out.`;
  ui.progress.value = 1;
  ui.save.disabled = false;
  await redrawMaps();
}

const guard = (f: () => Promise<void>) => () => void f().catch(fail);
ui.train.onclick = guard(train);
ui.save.onclick = guard(save);
ui.load.onchange = guard(async () => {
  if (ui.load.files?.[0]) await load(ui.load.files[0]);
});
for (const c of [ui.vh, ui.truth]) c.onclick = (e) => void rolloutAt(c, e).catch(fail);
for (const s of [ui.v, ui.theta]) {
  s.oninput = sliceText;
  s.onchange = () => {
    if (app.status === 'trained') void redrawMaps().catch(fail);
  };
}
if (params.get('autorun') === '1') ui.train.click();
