/**
 * Ablation study of FISOR (issue 15; the seed paper's open checks):
 *
 *   npx tsx scripts/ablations.ts [--tasks PointRobot,BallCircle] [--seeds 0,1,2]
 *     [--arms default,vh-plain,weights-reward,samples-1,cost-temp-1,cost-temp-10] [--preset safe]
 *     [--episodes 20] [--reuse DIR] [--work runs/ablations] [--report docs/STUDIES.md] [--json studies.json]
 *     [--figures figures]
 *
 * Arms (each one config change from the preset, `parseArm`):
 *   default          the preset as it is (the paper's algorithm)
 *   vh-plain         vhExpectile 'plain': V_h by the IQL upper expectile instead of the reversed (lower) one
 *   weights-reward   actorWeights 'reward': plain IQL advantage weights, no feasibility in the weights
 *   samples-N        numSamples N: N candidate actions instead of safest-of-numSamples (N = 1: no selection)
 *   cost-temp-X      weights.costTemperature X (the infeasible branch's temperature; default per task)
 *   A+B              both changes (e.g. weights-reward+samples-1: no feasibility in the weights nor in the
 *                    action selection)
 *
 * How each arm's runs are obtained (`armKind`), every path giving the bits a from-scratch run would:
 *   full   (changes the critics: vh-plain) a whole training run.
 *   actor  (changes only what the actor phase reads: the weights; `ACTOR_PHASE_KEYS`) with the critics-first
 *          schedule the critic phase does not read these keys, so it is run once per (task, seed) with the
 *          default config (stopped at criticSteps, under <work>/critics/) and each such arm starts from a copy
 *          of that checkpoint with its own config (`forkCritics`), then trains the actor phase. The test
 *          test/studies/ablations.test.ts checks that this equals a from-scratch run of the arm bit for bit.
 *   eval   (changes acting: numSamples) the trained agents of its base arm (the arm without its acting
 *          changes: 'default' for samples-N, weights-reward for weights-reward+samples-1), evaluated with the
 *          arm's setting; the base arm must be in the study.
 * The default arm is an 'actor' arm with no change; with --reuse DIR it is the finished run DIR/<Task>-s<seed>
 * (scripts/results.ts's layout) instead, accepted only if its config equals this study's default config
 * and its critics equal this study's critic phase bit for bit (`verifyReuse`); its evaluation is compared
 * with the one DIR/<Task>-s<seed>/run.json recorded.
 *
 * Evaluation: `episodes` episodes with reset seeds from Rng(2000 + seed) (scripts/results.ts's protocol, so a
 * reused run scores what RESULTS.md reports), DSRL normalisation, the task's cost limit (10).
 *
 * Resumable: a finished cell's result.json under --work is reused (its saved settings must match, else
 * error); an interrupted training continues from its checkpoint. The report section (in --report, between
 * generated markers; the rest of the page is kept) and the --json key `ablations` are rewritten after every
 * finished cell, the figure at most every 30 s and at the end.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getBackend } from '../core/index.js';
import { saveCheckpoint } from '../nn/checkpoint.js';
import { parseFlags, type FlagSpecs } from '../rl/cli/args.js';
import { collect } from '../rl/data/collect.js';
import type { Dataset } from '../rl/data/dataset.js';
import { taskReference } from '../rl/envs/reference.js';
import { resolveConfig, type FisorConfig } from '../rl/fisor/config.js';
import { evaluate } from '../rl/fisor/evaluate.js';
import { buildAgent, CHECKPOINT_DIR, loadAgent, train } from '../rl/fisor/train.js';
import { writeFileAtomic } from '../rl/io/atomic.js';
import { runProvenance } from '../rl/io/provenance.js';
import { PALETTE, type FigureSpec, type LegendEntry, type Marker, type Series } from '../rl/plot/chart.js';
import { writeFigure } from '../rl/plot/raster.js';
import { checkResumeConfig, configDiff, hasCheckpoint, runTrainSeconds, trainingSecondsFromMetrics } from './run_checks.js';
import { cellBackend, checkCellBackend, mean, meanStd, readStudyRecord, std, writeStudy, type BackendKeyed } from './studies_io.js';

// ---------------------------------------------------------------- arms

export interface Arm {
  /** As given on the command line, e.g. 'cost-temp-10'. */
  name: string;
  /** What the arm changes, in words. */
  what: string;
  /** Config overrides (dotted keys) applied on top of the preset and the task's own overrides. */
  overrides: Record<string, unknown>;
  /** A combined arm's parts, by name. */
  parts?: string[];
}

/** Keys read only when acting (evaluation): an arm changing only these needs no training. */
export const EVAL_ONLY_KEYS: readonly string[] = ['numSamples'];

/**
 * Keys read only by the actor phase (FisorAgent.policyWeights / act): with schedule 'critics-first' the
 * critic phase (V_r, Q_r, V_h, Q_h updates, the data stream, the networks' initialisation) never reads them.
 */
export const ACTOR_PHASE_KEYS: readonly string[] = [
  'actorWeights', 'weights.costTemperature', 'weights.costLb', 'weights.costUb', 'weights.rewardTemperature', 'weights.rewardUb', ...EVAL_ONLY_KEYS,
];

export const ARM_FORMS = 'default, vh-plain, weights-reward, samples-N (N a positive integer), cost-temp-X (X a number >= 0)';

/** The arm a name stands for ('A+B': both changes); an unknown or malformed name gets an error listing the forms. */
export function parseArm(name: string): Arm {
  const n = name.trim();
  if (n.includes('+')) {
    const parts = n.split('+').map((p) => parseSingleArm(p));
    if (parts.some((p) => p.name === 'default')) throw new Error(`arm '${n}': 'default' cannot be combined (it changes nothing)`);
    const overrides: Record<string, unknown> = {};
    for (const p of parts) {
      for (const [k, v] of Object.entries(p.overrides)) {
        if (k in overrides) throw new Error(`arm '${n}': two parts change ${k}`);
        overrides[k] = v;
      }
    }
    return { name: n, what: parts.map((p) => p.what).join('; and '), overrides, parts: parts.map((p) => p.name) };
  }
  return parseSingleArm(n);
}

function parseSingleArm(n: string): Arm {
  if (n === 'default') return { name: n, what: "none (the preset, the paper's algorithm)", overrides: {} };
  if (n === 'vh-plain') return { name: n, what: "vhExpectile 'plain': V_h by the IQL upper expectile of Q_h instead of the reversed (lower) one", overrides: { vhExpectile: 'plain' } };
  if (n === 'weights-reward') return { name: n, what: "actorWeights 'reward': plain IQL advantage weights exp((Q_r - V_r) rewardTemperature) on every row, no feasibility", overrides: { actorWeights: 'reward' } };
  let m = /^samples-(.+)$/.exec(n);
  if (m) {
    const k = Number(m[1]);
    if (!/^\d+$/.test(m[1]) || !Number.isSafeInteger(k) || k < 1) throw new Error(`arm '${n}': samples-N needs a positive integer N, got '${m[1]}'`);
    return { name: n, what: `numSamples ${k}: ${k === 1 ? 'one candidate action, no safest-of-N selection' : `the safest of ${k} candidate actions`}`, overrides: { numSamples: k } };
  }
  m = /^cost-temp-(.+)$/.exec(n);
  if (m) {
    const x = Number(m[1]);
    if (m[1].trim() === '' || !Number.isFinite(x) || x < 0) throw new Error(`arm '${n}': cost-temp-X needs a number X >= 0, got '${m[1]}'`);
    return { name: n, what: `weights.costTemperature ${x}: the infeasible branch's weights clip(exp((V_h - Q_h) ${x}), costLb, costUb)`, overrides: { 'weights.costTemperature': x } };
  }
  throw new Error(`unknown arm '${n}'; the forms are: ${ARM_FORMS}`);
}

/** A comma-separated list of arms: at least one, no repeats, the default first if present. */
export function parseArms(list: string): Arm[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new Error('--arms: give at least one arm');
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`--arms: arm '${n}' is listed twice`);
    seen.add(n);
  }
  return names.map(parseArm);
}

export type ArmKind = 'full' | 'actor' | 'eval';

/** The arm whose trained agents an 'eval' arm evaluates: the arm without its acting changes. */
export function baseArm(arm: Arm): Arm {
  const trained = (arm.parts ?? [arm.name]).filter((n) => !Object.keys(parseArm(n).overrides).some((k) => EVAL_ONLY_KEYS.includes(k)));
  return parseArm(trained.length ? trained.join('+') : 'default');
}

/** How an arm's runs are obtained (see the file comment); `schedule` is the preset's. */
export function armKind(arm: Arm, schedule: FisorConfig['schedule']): ArmKind {
  const keys = Object.keys(arm.overrides);
  if (keys.some((k) => EVAL_ONLY_KEYS.includes(k))) return 'eval';
  if (schedule === 'critics-first' && keys.every((k) => ACTOR_PHASE_KEYS.includes(k))) return 'actor';
  return 'full';
}

/** The arm's config for a task: preset -> task overrides -> the arm's overrides. */
export function armConfig(arm: Arm, preset: string, task: string, base: Record<string, unknown> = {}): FisorConfig {
  return resolveConfig({ preset, task, overrides: { ...base, ...arm.overrides } });
}

// ---------------------------------------------------------------- sharing the critic phase

/**
 * Copies the critic-phase checkpoint in `criticsDir` (a run stopped at step criticSteps) to `outDir` with the
 * config `variant`, after checking that the two configs differ only in ACTOR_PHASE_KEYS and that the
 * checkpoint is exactly at the end of the critic phase; `train({ resume: true })` then runs the actor phase.
 * The metrics of the critic phase come along, and fork.json records where the run started from.
 */
export async function forkCritics(criticsDir: string, outDir: string, variant: FisorConfig): Promise<void> {
  const { meta, step, loaded } = await loadAgent(criticsDir);
  if (meta.config.schedule !== 'critics-first') throw new Error(`${criticsDir}: schedule '${meta.config.schedule}', a critic phase can only be shared with 'critics-first'`);
  if (step !== meta.config.criticSteps) throw new Error(`${criticsDir}: checkpoint at step ${step}, not at the end of the critic phase (${meta.config.criticSteps})`);
  const diff = configDiff(meta.config, variant);
  const bad = diff.filter((k) => !ACTOR_PHASE_KEYS.includes(k));
  if (bad.length) throw new Error(`cannot share the critic phase of ${criticsDir}: the configs differ in ${bad.join(', ')}, which the critic phase reads (only ${ACTOR_PHASE_KEYS.join(', ')} may differ)`);
  if (existsSync(join(outDir, CHECKPOINT_DIR))) throw new Error(`${outDir} already holds a checkpoint; not overwriting it`);
  // The variant's agent holds exactly the same tensors (the switches change no shapes); saving through it
  // checks every name and shape.
  const { agent: fork } = buildAgent(variant, meta.obsDim, meta.actDim, meta.seed);
  fork.loadState(loaded);
  const metadata = { ...loaded.metadata, config: variant, finished: false, best: null, provenance: runProvenance(variant, { forkedFrom: criticsDir }) };
  mkdirSync(outDir, { recursive: true });
  for (const f of ['metrics.jsonl', 'metrics.csv']) if (existsSync(join(criticsDir, f))) copyFileSync(join(criticsDir, f), join(outDir, f));
  await saveCheckpoint(join(outDir, CHECKPOINT_DIR), { tensors: fork.stateTensors(), step, metadata });
  writeFileAtomic(join(outDir, 'fork.json'), JSON.stringify({ from: criticsDir, step, changed: diff }, null, 2) + '\n');
}

/** Names of the critic tensors (networks, targets, their optimizers): frozen after the critic phase. */
const isCriticTensor = (name: string) => /^(qh|qhTarget|vh|qr|qrTarget|vr|opt\.qh|opt\.vh|opt\.qr|opt\.vr)\./.test(name);

/**
 * Checks that the finished run in `runDir` can stand for this study's default arm: same task, seed and
 * config, finished, and critics bit-identical to the critic phase in `criticsDir`. Throws naming what differs.
 */
export async function verifyReuse(runDir: string, criticsDir: string, task: string, seed: number, config: FisorConfig): Promise<void> {
  const r = await loadAgent(runDir);
  if (r.meta.task !== task || r.meta.seed !== seed) throw new Error(`--reuse: ${runDir} is ${r.meta.task} seed ${r.meta.seed}, not ${task} seed ${seed}`);
  const diff = configDiff(r.meta.config, config);
  if (diff.length) throw new Error(`--reuse: ${runDir} was trained with another config (differs in ${diff.join(', ')})`);
  if (r.step !== config.steps) throw new Error(`--reuse: ${runDir} stopped at step ${r.step}, not ${config.steps}`);
  const c = await loadAgent(criticsDir);
  const mine = c.agent.stateTensors(), theirs = r.agent.stateTensors();
  let n = 0;
  for (const [name, t] of Object.entries(mine)) {
    if (!isCriticTensor(name)) continue;
    const a = t.dataSync(), b = theirs[name]?.dataSync();
    if (!b || a.length !== b.length) throw new Error(`--reuse: ${runDir} has no critic tensor '${name}' of ${a.length} values`);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`--reuse: critic tensor '${name}' of ${runDir} differs from this study's critic phase (${criticsDir}) at element ${i}: ${b[i]} vs ${a[i]}; the run was made by other code or data`);
    n++;
  }
  if (n === 0) throw new Error(`--reuse: no critic tensors found in ${criticsDir}`);
}

// ---------------------------------------------------------------- the study

export interface AblationOptions {
  tasks: string[];
  seeds: number[];
  arms: Arm[];
  preset: string;
  /** Overrides applied to every arm before its own (smoke runs and tests: e.g. steps, criticSteps). */
  baseOverrides?: Record<string, unknown>;
  episodes: number;
  /** Evaluation reset seeds come from Rng(evalSeedBase + seed). */
  evalSeedBase: number;
  /** scripts/results.ts output directory whose <Task>-s<seed> runs stand for the default arm. */
  reuse?: string;
  work: string;
  /** Markdown page (its `ablations` section is rewritten) and JSON file (its `ablations` key). */
  report: string;
  json: string;
  /** Directory of the figure (ablations.svg / .png). */
  figures: string;
  command: string;
  datasetFor?: (task: string) => Dataset;
  log?: (line: string) => void;
}

/** Settings a saved cell must match to be reused. */
interface CellKey extends BackendKeyed {
  arm: string;
  task: string;
  seed: number;
  preset: string;
  episodes: number;
  evalSeed: number;
  reuse: string | null;
  config: FisorConfig;
}

export interface AblationCell extends Omit<CellKey, 'config'> {
  kind: ArmKind;
  /** Where the evaluated agent came from, in words. */
  source: string;
  runDir: string;
  normalizedReward: number;
  normalizedCost: number;
  safeFraction: number;
  normalizedRewardStd: number;
  normalizedCostStd: number;
  /** Seconds of training spent for this cell (0: evaluation only / reused; the shared critic phase not included). */
  trainSeconds: number;
  wallSeconds: number;
  /** With --reuse, the default arm: the evaluation the reused run recorded (run.json), and whether this one equals it. */
  reusedEvaluation?: { normalizedReward: number; normalizedCost: number; equal: boolean };
  config: FisorConfig;
}

export interface AblationResult {
  cells: AblationCell[];
  failures: { arm: string; task: string; seed: number; error: string }[];
  pending: number;
}

export function checkAblationOptions(o: AblationOptions): void {
  if (!o.tasks.length) throw new Error('--tasks: give at least one task');
  for (const t of o.tasks) taskReference(t);
  if (!o.seeds.length) throw new Error('--seeds: give at least one seed');
  for (const s of o.seeds) if (!(Number.isInteger(s) && s >= 0)) throw new Error(`--seeds: seeds must be integers >= 0, got ${s}`);
  if (new Set(o.seeds).size !== o.seeds.length) throw new Error('--seeds: a seed is listed twice');
  if (!o.arms.length) throw new Error('--arms: give at least one arm');
  if (!(Number.isInteger(o.episodes) && o.episodes >= 1)) throw new Error(`--episodes must be a positive integer, got ${o.episodes}`);
  const schedule = armConfig(parseArm('default'), o.preset, o.tasks[0], o.baseOverrides).schedule;
  for (const a of o.arms) {
    if (armKind(a, schedule) !== 'eval') continue;
    const b = baseArm(a).name;
    if (!o.arms.some((x) => x.name === b)) throw new Error(`--arms: arm '${a.name}' evaluates the agents of arm '${b}': add '${b}'`);
  }
  if (o.reuse !== undefined && !existsSync(o.reuse)) throw new Error(`--reuse: no directory ${o.reuse}`);
  if (o.reuse !== undefined && schedule !== 'critics-first') throw new Error(`--reuse needs the critics-first schedule (it checks the reused critics against this study's critic phase); preset '${o.preset}' is '${schedule}'`);
}

const cellDir = (o: AblationOptions, arm: string, task: string, seed: number) => join(o.work, arm, task, `seed${seed}`);
const criticsDir = (o: AblationOptions, task: string, seed: number) => join(o.work, 'critics', task, `seed${seed}`, 'run');
const reuseDir = (o: AblationOptions, task: string, seed: number) => join(o.reuse!, `${task}-s${seed}`);
const sameKey = (a: CellKey, b: CellKey) =>
  (['arm', 'task', 'seed', 'preset', 'episodes', 'evalSeed', 'reuse'] as const).every((k) => a[k] === b[k]) && cellBackend(a) === b.backend && configDiff(a.config, b.config).length === 0;

/** Runs (or reuses) every (arm, task, seed) cell in that order, rewriting the report after each. */
export async function runAblations(o: AblationOptions): Promise<AblationResult> {
  checkAblationOptions(o);
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const data = new Map<string, Dataset>();
  const dataset = (task: string) => {
    if (!data.has(task)) data.set(task, o.datasetFor ? o.datasetFor(task) : collect(task, { seed: 0, recipe: resolveConfig({ preset: o.preset, task }).dataRecipe }));
    return data.get(task)!;
  };
  const defaultArm = parseArm('default');
  const result: AblationResult = { cells: [], failures: [], pending: o.arms.length * o.tasks.length * o.seeds.length };

  /** The critic phase of (task, seed), run once with the default config and stopped at criticSteps. */
  const ensureCritics = async (task: string, seed: number): Promise<string> => {
    const dir = criticsDir(o, task, seed);
    const cfg = armConfig(defaultArm, o.preset, task, o.baseOverrides);
    const has = hasCheckpoint(dir);
    checkResumeConfig(dir, task, seed, cfg, 'use another --work directory');
    if (has && (await loadAgent(dir)).step >= cfg.criticSteps) return dir;
    log(`${task} seed ${seed}: critic phase (${cfg.criticSteps} iterations, shared by the actor-only arms)`);
    await train({ task, config: cfg, seed, outDir: dir, dataset: dataset(task), resume: has, stopAt: cfg.criticSteps, skipFinalEval: true });
    return dir;
  };

  /** A finished training run of `arm` (kind full or actor) for (task, seed); returns its directory. */
  const trainedRun = async (arm: Arm, task: string, seed: number, cfg: FisorConfig): Promise<{ dir: string; source: string; trainSeconds: number }> => {
    const kind = armKind(arm, cfg.schedule);
    if (arm.name === 'default' && o.reuse !== undefined) {
      const dir = reuseDir(o, task, seed);
      await verifyReuse(dir, await ensureCritics(task, seed), task, seed, cfg);
      return { dir, source: `reused ${dir} (config equal; critics bit-identical to this study's critic phase)`, trainSeconds: 0 };
    }
    const dir = join(cellDir(o, arm.name, task, seed), 'run');
    const has = hasCheckpoint(dir);
    // A leftover checkpoint (an interrupted cell) is resumed under its own config: it must be this arm's.
    checkResumeConfig(dir, task, seed, cfg, 'use another --work directory');
    let source: string;
    if (kind === 'actor') {
      const critics = await ensureCritics(task, seed);
      if (!has) await forkCritics(critics, dir, cfg);
      source = `critic phase shared (${relative(o.work, critics)}), actor phase trained`;
    } else {
      source = 'trained from scratch';
    }
    const res = await train({ task, config: cfg, seed, outDir: dir, dataset: dataset(task), resume: kind === 'actor' || has, skipFinalEval: true });
    if (res.interrupted) throw new Error(`training in ${dir} stopped at step ${res.step} of ${cfg.steps}`);
    // An actor arm's metrics begin with the shared critic phase's lines (forked), which the report counts apart.
    return { dir, source, trainSeconds: runTrainSeconds(dir, has, res.trainSeconds, kind === 'actor' ? cfg.criticSteps : 0) };
  };

  let lastFigure = -Infinity;
  const write = async (final: boolean) => {
    const figure = final || performance.now() - lastFigure > 30_000;
    if (figure) lastFigure = performance.now();
    await writeAblationReport(o, result, figure);
  };

  const schedule = armConfig(defaultArm, o.preset, o.tasks[0], o.baseOverrides).schedule;
  for (const arm of o.arms) {
    for (const task of o.tasks) {
      for (const seed of o.seeds) {
        const cfg = armConfig(arm, o.preset, task, o.baseOverrides);
        const kind = armKind(arm, schedule);
        const base = kind === 'eval' ? baseArm(arm) : arm;
        const key: CellKey = { backend: getBackend().name, arm: arm.name, task, seed, preset: o.preset, episodes: o.episodes, evalSeed: o.evalSeedBase + seed, reuse: base.name === 'default' ? (o.reuse ?? null) : null, config: cfg };
        const file = join(cellDir(o, arm.name, task, seed), 'result.json');
        const tag = `${arm.name} ${task} seed ${seed}`;
        let cell: AblationCell | null = null;
        if (existsSync(file)) {
          const saved = JSON.parse(readFileSync(file, 'utf8')) as AblationCell;
          checkCellBackend(file, saved, key.backend);
          if (!sameKey(saved, key)) throw new Error(`${file} was made with other settings; use another --work directory`);
          cell = saved;
          log(`${tag}: reused ${file}`);
        } else {
          const t0 = performance.now();
          try {
            let run: { dir: string; source: string; trainSeconds: number };
            if (kind === 'eval') {
              const b = await trainedRun(base, task, seed, armConfig(base, o.preset, task, o.baseOverrides));
              run = { ...b, source: `the agent of arm ${base.name} (${b.source.startsWith('reused') ? 'reused run' : 'trained here'}), evaluated with ${JSON.stringify(arm.overrides)}`, trainSeconds: 0 };
            } else {
              run = await trainedRun(arm, task, seed, cfg);
            }
            const { agent } = await loadAgent(run.dir);
            const ev = evaluate(agent, task, { episodes: o.episodes, seed: key.evalSeed, numSamples: cfg.numSamples });
            cell = {
              ...key, kind, source: run.source, runDir: run.dir,
              normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction,
              normalizedRewardStd: ev.normalizedRewardStd, normalizedCostStd: ev.normalizedCostStd,
              trainSeconds: run.trainSeconds, wallSeconds: (performance.now() - t0) / 1000,
            };
            const recorded = join(run.dir, 'run.json');
            if (arm.name === 'default' && o.reuse !== undefined && existsSync(recorded)) {
              const r = (JSON.parse(readFileSync(recorded, 'utf8')) as { run?: { normalizedReward?: number; normalizedCost?: number } }).run;
              if (r && typeof r.normalizedReward === 'number' && typeof r.normalizedCost === 'number') {
                cell.reusedEvaluation = { normalizedReward: r.normalizedReward, normalizedCost: r.normalizedCost, equal: r.normalizedReward === ev.normalizedReward && r.normalizedCost === ev.normalizedCost };
              }
            }
            mkdirSync(dirname(file), { recursive: true });
            writeFileAtomic(file, JSON.stringify(cell, null, 2) + '\n');
            log(`${tag}: normalized reward ${cell.normalizedReward.toFixed(3)}, cost ${cell.normalizedCost.toFixed(3)}, safe episodes ${(100 * cell.safeFraction).toFixed(0)}% (${cell.wallSeconds.toFixed(0)} s)`);
          } catch (e) {
            result.failures.push({ arm: arm.name, task, seed, error: (e as Error).message });
            log(`${tag}: FAILED: ${(e as Error).message}`);
          }
        }
        result.pending--;
        if (cell) result.cells.push(cell);
        if (result.pending) await write(false);
      }
    }
  }
  await write(true);
  return result;
}

// ---------------------------------------------------------------- tables and figure

export interface ArmSummary {
  arm: string;
  task: string;
  runs: number;
  reward: number[];
  cost: number[];
  safe: number[];
  /** Per seed (where the default arm has the same seed): arm - default. */
  dReward: number[];
  dCost: number[];
}

/** Per (task, arm), the finished seeds' scores and the paired differences to the default arm. */
export function summarize(cells: AblationCell[], tasks: string[], arms: string[]): ArmSummary[] {
  const out: ArmSummary[] = [];
  for (const task of tasks) {
    const def = new Map(cells.filter((c) => c.task === task && c.arm === 'default').map((c) => [c.seed, c]));
    for (const arm of arms) {
      const mine = cells.filter((c) => c.task === task && c.arm === arm).sort((a, b) => a.seed - b.seed);
      const paired = mine.filter((c) => def.has(c.seed));
      out.push({
        arm, task, runs: mine.length,
        reward: mine.map((c) => c.normalizedReward), cost: mine.map((c) => c.normalizedCost), safe: mine.map((c) => c.safeFraction),
        dReward: paired.map((c) => c.normalizedReward - def.get(c.seed)!.normalizedReward),
        dCost: paired.map((c) => c.normalizedCost - def.get(c.seed)!.normalizedCost),
      });
    }
  }
  return out;
}

/** The markdown table of one task: one row per arm. */
export function taskTable(summaries: ArmSummary[], task: string, seeds: number[], cells: AblationCell[]): string[] {
  const L = [
    `| arm | runs | normalized reward | normalized cost | safe episodes | runs with cost ≤ 1 | Δ reward vs default | Δ cost vs default | per seed (reward / cost / safe episodes) |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const pct = (v: number[]) => (v.length ? `${(100 * mean(v)).toFixed(0)}% ± ${(100 * std(v)).toFixed(0)}%` : 'not run');
  for (const s of summaries.filter((x) => x.task === task)) {
    const per = seeds.map((seed) => {
      const c = cells.find((x) => x.task === task && x.arm === s.arm && x.seed === seed);
      return c ? `s${seed}: ${c.normalizedReward.toFixed(3)} / ${c.normalizedCost.toFixed(3)} / ${(100 * c.safeFraction).toFixed(0)}%` : `s${seed}: not run`;
    }).join('; ');
    const delta = (v: number[]) => (s.arm === 'default' ? '—' : v.length ? `${v.map((x) => (x >= 0 ? '+' : '') + x.toFixed(3)).join(', ')} (mean ${(mean(v) >= 0 ? '+' : '') + mean(v).toFixed(3)})` : 'n/a');
    L.push(`| ${s.arm} | ${s.runs}/${seeds.length} | ${meanStd(s.reward)} | ${meanStd(s.cost)} | ${pct(s.safe)} | ${s.cost.filter((c) => c <= 1).length}/${s.runs} | ${delta(s.dReward)} | ${delta(s.dCost)} | ${per} |`);
  }
  return L;
}

/** One marker shape per arm besides its colour: PointRobot's default and cost-temperature arms share one spot. */
const ARM_MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'star', 'plus', 'cross'];

/**
 * One reward-cost panel per task: each arm one colour and shape, seeds as small markers, the mean as a large hollow
 * marker with ±1 std bars (hollow, so that means on one spot stay visible through each other).
 */
export function ablationFigure(tasks: string[], arms: string[], cells: AblationCell[]): FigureSpec {
  const panels = tasks.map((task) => {
    const series: Series[] = [{ type: 'vline', value: 1, color: '#888', dash: '5,4' }];
    arms.forEach((arm, i) => {
      const mine = cells.filter((c) => c.task === task && c.arm === arm);
      if (!mine.length) return;
      const color = PALETTE[i % PALETTE.length], marker = ARM_MARKERS[i % ARM_MARKERS.length];
      const xs = mine.map((c) => c.normalizedCost), ys = mine.map((c) => c.normalizedReward);
      const [cx, cy] = [mean(xs), mean(ys)];
      series.push({ type: 'line', x: [cx - std(xs), cx + std(xs)], y: [cy, cy], color, width: 1.2 });
      series.push({ type: 'line', x: [cx, cx], y: [cy - std(ys), cy + std(ys)], color, width: 1.2 });
      series.push({ type: 'points', x: xs, y: ys, color, size: 2.5, marker, opacity: 0.6 });
      series.push({ type: 'points', x: [cx], y: [cy], color, size: 7, marker, hollow: true });
    });
    return { title: task, xlabel: 'normalized cost', ylabel: 'normalized reward', legend: 'none' as const, series };
  });
  const legend: LegendEntry[] = [
    ...arms.map((arm, i) => ({ label: arm, color: PALETTE[i % PALETTE.length], kind: 'point' as const, marker: ARM_MARKERS[i % ARM_MARKERS.length], hollow: true })),
    { label: 'cost limit', color: '#888', kind: 'line', dash: '5,4' },
  ];
  return {
    title: 'FISOR ablations: normalized reward against normalized cost',
    panels, columns: Math.min(2, tasks.length), panelWidth: 460, panelHeight: 340, legend,
    caption: ['large hollow marker: mean over seeds (bars: ±1 std over seeds); small markers: one seed each (mean over its evaluation episodes); dashed: cost limit'],
  };
}

const hms = (s: number) => `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;

async function writeAblationReport(o: AblationOptions, r: AblationResult, renderFigure: boolean): Promise<void> {
  const armNames = o.arms.map((a) => a.name);
  const schedule = armConfig(parseArm('default'), o.preset, o.tasks[0], o.baseOverrides).schedule;
  const L: string[] = ['## Ablations', ''];
  L.push('Made by `scripts/ablations.ts` (this section is rewritten as runs finish). Command:', '', '```', o.command, '```', '');
  const be = getBackend() as { name: string; threads?: number };
  L.push(`Preset \`${o.preset}\` (schedule ${schedule}), tasks ${o.tasks.join(', ')}, seeds ${o.seeds.join(', ')}, ${o.episodes} evaluation episodes per run (reset seeds from Rng(${o.evalSeedBase} + seed), as scripts/results.ts), DSRL normalisation with cost limit 10, backend ${be.name} (${be.threads ?? 1} thread(s)).`, '');
  L.push('| arm | what it changes | how its runs were obtained |', '|---|---|---|');
  const how: Record<ArmKind, string> = {
    full: 'trained from scratch (the change reaches the critics)',
    actor: "the critic phase of the default config is shared (it does not read this key; equal bits checked by test/studies/ablations.test.ts), the actor phase trained with the arm's config",
    eval: "the trained agents of arm BASE, evaluated with the arm's setting (no training)",
  };
  for (const a of o.arms) L.push(`| ${a.name} | ${a.what} | ${a.name === 'default' && o.reuse !== undefined ? `reused from \`${o.reuse}\` (config equal, critics bit-identical to this study's critic phase)` : how[armKind(a, schedule)].replace('BASE', baseArm(a).name)} |`);
  L.push('');
  const sums = summarize(r.cells, o.tasks, armNames);
  for (const task of o.tasks) {
    const cfg = armConfig(parseArm('default'), o.preset, task, o.baseOverrides);
    L.push(`### ${task}`, '', `Default: costTemperature ${cfg.weights.costTemperature}, rewardTemperature ${cfg.weights.rewardTemperature}, numSamples ${cfg.numSamples}, ${cfg.steps} iterations (${cfg.criticSteps} critic-only).`, '');
    L.push(...taskTable(sums, task, o.seeds, r.cells), '');
  }
  L.push('Mean ± sample standard deviation over seeds of each seed\'s mean over its evaluation episodes; "safe episodes": episodes with normalized cost ≤ 1. Δ: the arm minus the default arm on the same seed (same critics where shared, same evaluation resets).', '');
  const reused = r.cells.filter((c) => c.reusedEvaluation);
  if (reused.length) {
    const eq = reused.filter((c) => c.reusedEvaluation!.equal).length;
    L.push(`Reused default runs: ${eq} of ${reused.length} evaluations here equal the ones recorded with the runs (run.json) bit for bit${eq < reused.length ? ` (differing: ${reused.filter((c) => !c.reusedEvaluation!.equal).map((c) => `${c.task} seed ${c.seed}`).join(', ')})` : ''}.`, '');
  }
  const train = r.cells.reduce((a, c) => a + c.trainSeconds, 0), wall = r.cells.reduce((a, c) => a + c.wallSeconds, 0);
  const criticSeconds: Record<string, number> = {};
  for (const task of o.tasks) for (const seed of o.seeds) criticSeconds[`${task}-s${seed}`] = trainingSecondsFromMetrics(join(criticsDir(o, task, seed), 'metrics.jsonl'));
  const critic = Object.values(criticSeconds).reduce((a, b) => a + b, 0);
  L.push(`Time: the cells' own training ${hms(train)} (actor phases of the actor-only arms, whole runs of the others; evaluation-only and reused cells count 0, the reused runs' own times are in RESULTS.md), the shared critic phases ${hms(critic)} (from their metrics), the cells' wall time ${hms(wall)} (training and evaluation).`, '');
  if (r.failures.length) {
    L.push('Failed runs:', '');
    for (const f of r.failures) L.push(`- ${f.arm} ${f.task} seed ${f.seed}: ${f.error}`);
    L.push('');
  }
  if (r.pending) L.push(`${r.pending} run(s) not finished when this section was written.`, '');
  if (r.cells.length) {
    const base = join(o.figures, 'ablations');
    if (renderFigure) await writeFigure(base, ablationFigure(o.tasks, armNames, r.cells));
    const rel = (p: string) => relative(dirname(o.report), p);
    L.push(`![ablations](${rel(`${base}.png`)})`, '', `(SVG: ${rel(`${base}.svg`)}; every run in \`${o.json}\` under \`ablations\`.)`, '');
  }
  writeStudy({ path: o.report, section: 'ablations', body: L.join('\n') }, { path: o.json, key: 'ablations', value: {
    command: o.command, preset: o.preset, tasks: o.tasks, seeds: o.seeds, episodes: o.episodes, evalSeedBase: o.evalSeedBase, reuse: o.reuse ?? null,
    arms: o.arms.map((a) => ({ ...a, kind: armKind(a, schedule) })),
    summary: sums.map((s) => ({ task: s.task, arm: s.arm, runs: s.runs, normalizedReward: { mean: s.runs ? mean(s.reward) : null, std: std(s.reward) }, normalizedCost: { mean: s.runs ? mean(s.cost) : null, std: std(s.cost) }, safeFraction: { mean: s.runs ? mean(s.safe) : null, std: std(s.safe) } })),
    cells: r.cells.map(({ config, ...c }) => ({ ...c, configOverrides: o.arms.find((a) => a.name === c.arm)?.overrides ?? {}, numSamples: config.numSamples })),
    failures: r.failures, pending: r.pending, criticSeconds,
  } });
}

// ---------------------------------------------------------------- CLI

export const FLAGS = {
  tasks: { type: 'string', help: 'comma-separated tasks', default: 'PointRobot,BallCircle', meta: 'A,B' },
  seeds: { type: 'string', help: 'comma-separated training seeds', default: '0,1,2', meta: 'S,...' },
  arms: { type: 'string', help: `comma-separated arms (${ARM_FORMS}; A+B combines two)`, default: 'default,samples-1,weights-reward,weights-reward+samples-1,vh-plain,cost-temp-1,cost-temp-10', meta: 'A,...' },
  preset: { type: 'string', help: 'FISOR config preset', default: 'safe', meta: 'NAME' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  steps: { type: 'int', help: "training iterations per run (default: the preset's; smoke runs)", meta: 'N' },
  'critic-steps': { type: 'int', help: "critic-only iterations of critics-first (default: the preset's; smoke runs)", meta: 'N' },
  'eval-seed': { type: 'int', help: 'evaluation resets come from Rng(eval-seed + seed)', default: 2000, meta: 'N' },
  reuse: { type: 'string', help: 'scripts/results.ts output directory whose <Task>-s<seed> runs stand for the default arm (checked)', meta: 'DIR' },
  work: { type: 'string', help: 'run directories and per-run results (resumable)', default: 'runs/ablations', meta: 'DIR' },
  report: { type: 'string', help: "markdown page whose 'ablations' section is rewritten", default: 'docs/STUDIES.md', meta: 'FILE' },
  json: { type: 'string', help: "JSON file whose 'ablations' key is rewritten", default: 'studies.json', meta: 'FILE' },
  figures: { type: 'string', help: 'directory of the figure', default: 'figures', meta: 'DIR' },
  'figure-only': { type: 'bool', help: "redraw the figure from --json's 'ablations' record and stop (no training, no report)", default: false },
} satisfies FlagSpecs;

/** Command-line arguments to study options (every list checked; bad input throws naming the flag). */
export function optionsFromArgs(argv: string[]): AblationOptions {
  const f = parseFlags(argv, FLAGS);
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const ints = (flag: string, s: string) => list(s).map((x) => {
    if (!/^\d+$/.test(x)) throw new Error(`--${flag}: '${x}' is not a non-negative integer`);
    return Number(x);
  });
  return {
    tasks: list(f.tasks), seeds: ints('seeds', f.seeds), arms: parseArms(f.arms), preset: f.preset, episodes: f.episodes,
    baseOverrides: { ...(f.steps !== undefined ? { steps: f.steps } : {}), ...(f['critic-steps'] !== undefined ? { criticSteps: f['critic-steps'] } : {}) },
    evalSeedBase: f['eval-seed'], reuse: f.reuse, work: f.work, report: f.report, json: f.json, figures: f.figures,
    command: `npx tsx scripts/ablations.ts ${argv.join(' ')}`.trim(),
  };
}

/**
 * Redraws `<figures>/ablations.svg|png` from a study's JSON record: the figure is a function of its tasks, arm names
 * and cells alone, so a change to how figures are drawn needs no run.
 */
export async function redrawAblationFigure(json: string, figures: string): Promise<string> {
  const rec = readStudyRecord<{ tasks: string[]; arms: { name: string }[]; cells: AblationCell[] }>(json, 'ablations');
  const base = join(figures, 'ablations');
  await writeFigure(base, ablationFigure(rec.tasks, rec.arms.map((a) => a.name), rec.cells));
  return base;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--figure-only')) {
    const f = parseFlags(argv, FLAGS);
    const base = await redrawAblationFigure(f.json, f.figures);
    process.stdout.write(`wrote ${base}.svg, ${base}.png from ${f.json}\n`);
    return;
  }
  const o = optionsFromArgs(argv);
  checkAblationOptions(o);
  const r = await runAblations(o);
  if (r.failures.length) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
