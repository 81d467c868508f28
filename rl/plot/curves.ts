/**
 * Learning curves from a training run's metrics.jsonl (rl/fisor/train.ts): every logged training metric and
 * the periodic evaluation against step, one panel per group (losses, value means, feasible fraction, weight
 * statistics, learning rate, speed, evaluation reward and cost with the cost limit marked). Keys this file
 * does not know get a panel each, so new metrics show up without code changes.
 *
 * Several runs (seeds) overlay as thin lines with their mean (over the steps all runs logged) in bold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PALETTE, type FigureSpec, type PanelSpec, type Series } from './chart.js';

export interface MetricsLog {
  /** Run directory (or file) the log came from. */
  source: string;
  train: Record<string, number>[];
  eval: Record<string, number>[];
  /** config.json of the run, if present. */
  config?: Record<string, unknown>;
}

/**
 * Reads `<dir>/metrics.jsonl` (or a .jsonl file). A torn LAST line (a run writing at this moment) is
 * skipped; any other unparsable line is an error naming the file and line.
 */
export function readMetrics(dirOrFile: string): MetricsLog {
  const file = dirOrFile.endsWith('.jsonl') ? dirOrFile : join(dirOrFile, 'metrics.jsonl');
  if (!existsSync(file)) throw new Error(`${file}: no such file (is ${dirOrFile} a training output directory?)`);
  const lines = readFileSync(file, 'utf8').split('\n');
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const out: MetricsLog = { source: dirOrFile, train: [], eval: [] };
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new Error(`${file}: line ${i + 1} is not valid JSON`);
    }
    if (typeof o !== 'object' || o === null || typeof (o as { step?: unknown }).step !== 'number') throw new Error(`${file}: line ${i + 1} has no numeric 'step'`);
    const rec = o as Record<string, unknown>;
    const nums: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec)) if (typeof v === 'number') nums[k] = v;
    if (rec.type === 'eval') out.eval.push(nums);
    else if (rec.type === 'train' || rec.type === undefined) out.train.push(nums);
  });
  if (!out.train.length && !out.eval.length) throw new Error(`${file}: no metrics logged yet`);
  const cfgPath = join(dirOrFile.endsWith('.jsonl') ? join(file, '..') : dirOrFile, 'config.json');
  if (existsSync(cfgPath)) {
    try {
      out.config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    } catch {
      /* config is decoration only */
    }
  }
  return out;
}

interface Group {
  title: string;
  keys: string[];
  source: 'train' | 'eval';
  ylabel?: string;
  ylim?: [number, number];
  /** Let an 'auto' legend raise the top of a fixed `ylim` when it would cover data in every corner. */
  legendRoom?: boolean;
  /** Std key per key, drawn as a band (single run only). */
  std?: Record<string, string>;
  ref?: { value: number; text: string; label: string };
}

/** Known metrics, grouped; anything else logged gets its own panel after these. */
export const CURVE_GROUPS: Group[] = [
  { title: 'actor loss', keys: ['actorLoss'], source: 'train', ylabel: 'loss' },
  { title: 'reward critic losses', keys: ['qrLoss', 'vrLoss'], source: 'train', ylabel: 'loss' },
  { title: 'feasibility critic losses', keys: ['qhLoss', 'vhLoss'], source: 'train', ylabel: 'loss' },
  { title: 'reward values (batch mean)', keys: ['meanQr', 'meanVr'], source: 'train', ylabel: 'value' },
  { title: 'feasibility values (batch mean)', keys: ['meanQh', 'meanVh'], source: 'train', ylabel: 'value', ref: { value: 0, text: 'V_h = 0', label: 'feasibility boundary' } },
  { title: 'batch fractions', keys: ['feasibleFraction', 'unsafeFraction', 'zeroWeightFraction'], source: 'train', ylabel: 'fraction', ylim: [0, 1], legendRoom: true },
  { title: 'actor weights', keys: ['weightMean', 'weightMax'], source: 'train', ylabel: 'weight' },
  { title: 'actor learning rate', keys: ['actorLr'], source: 'train', ylabel: 'lr' },
  { title: 'training speed', keys: ['stepsPerSec'], source: 'train', ylabel: 'steps / s' },
  { title: 'eval: normalized reward', keys: ['normalizedReward'], source: 'eval', ylabel: 'normalized reward', std: { normalizedReward: 'normalizedRewardStd' } },
  { title: 'eval: normalized cost', keys: ['normalizedCost'], source: 'eval', ylabel: 'normalized cost', std: { normalizedCost: 'normalizedCostStd' }, ref: { value: 1, text: 'cost limit', label: 'cost limit (normalized cost 1 = kappa)' } },
  { title: 'eval: safe episodes', keys: ['safeFraction'], source: 'eval', ylabel: 'fraction', ylim: [0, 1], legendRoom: true },
];

/**
 * Eval keys that are spreads, timings or raw duplicates of the normalised scores, or the run's kappa (`costLimit`, the
 * same on every line: the cost panel's reference line is normalized cost 1 = kappa), not plotted alone.
 */
const EVAL_SKIP = new Set(['step', 'normalizedRewardStd', 'normalizedCostStd', 'seconds', 'meanReturn', 'meanCost', 'costLimit']);

function present(logs: MetricsLog[], source: 'train' | 'eval', key: string): boolean {
  return logs.some((l) => l[source].some((r) => Number.isFinite(r[key])));
}

/** The groups that have data, plus one group per unknown key. */
function groupsFor(logs: MetricsLog[]): Group[] {
  const known = new Set(CURVE_GROUPS.flatMap((g) => g.keys));
  const groups = CURVE_GROUPS.map((g) => ({ ...g, keys: g.keys.filter((k) => present(logs, g.source, k)) })).filter((g) => g.keys.length);
  for (const source of ['train', 'eval'] as const) {
    const keys = new Set<string>();
    for (const l of logs) for (const r of l[source]) for (const k of Object.keys(r)) keys.add(k);
    for (const k of [...keys].sort()) {
      if (k === 'step' || known.has(k) || (source === 'eval' && EVAL_SKIP.has(k))) continue;
      groups.push({ title: source === 'eval' ? `eval: ${k}` : k, keys: [k], source });
    }
  }
  return groups;
}

const seriesOf = (rows: Record<string, number>[], key: string): { x: number[]; y: number[] } => {
  const r = rows.filter((o) => Number.isFinite(o[key]));
  return { x: r.map((o) => o.step), y: r.map((o) => o[key]) };
};

/** Mean over runs at the steps that every run logged for `key`. */
export function meanCurve(curves: { x: number[]; y: number[] }[]): { x: number[]; y: number[] } {
  if (!curves.length) return { x: [], y: [] };
  const maps = curves.map((c) => new Map(c.x.map((s, i) => [s, c.y[i]])));
  const x = curves[0].x.filter((s) => maps.every((m) => m.has(s)));
  return { x, y: x.map((s) => maps.reduce((a, m) => a + m.get(s)!, 0) / maps.length) };
}

const runName = (l: MetricsLog): string => {
  const seed = l.config?.seed;
  return typeof seed === 'number' ? `seed ${seed}` : basename(l.source.replace(/\/+$/, ''));
};

/** Figure of all curves of one run, or of several runs overlaid (thin lines per run, bold mean). */
export function curvesFigure(logs: MetricsLog[], title?: string): FigureSpec {
  if (!logs.length) throw new Error('curvesFigure: no runs given');
  const many = logs.length > 1;
  const panels: PanelSpec[] = groupsFor(logs).map((g) => {
    const series: Series[] = [];
    g.keys.forEach((key, ki) => {
      const color = PALETTE[ki % PALETTE.length];
      const curves = logs.map((l) => seriesOf(l[g.source], key));
      if (!many) {
        const std = g.std?.[key];
        if (std) {
          const rows = logs[0][g.source].filter((o) => Number.isFinite(o[key]) && Number.isFinite(o[std]));
          series.push({ type: 'band', x: rows.map((o) => o.step), lo: rows.map((o) => o[key] - o[std]), hi: rows.map((o) => o[key] + o[std]), color, opacity: 0.18, label: '± std over episodes' });
        }
        series.push({ type: 'line', x: curves[0].x, y: curves[0].y, color, width: 1.6, label: g.keys.length > 1 ? key : undefined });
        if (g.source === 'eval') series.push({ type: 'points', x: curves[0].x, y: curves[0].y, color, size: 2.5 });
      } else {
        for (const c of curves) series.push({ type: 'line', x: c.x, y: c.y, color, width: 0.9, opacity: 0.45 });
        const m = meanCurve(curves);
        series.push({ type: 'line', x: m.x, y: m.y, color, width: 2.6, label: `${g.keys.length > 1 ? `${key}: ` : ''}mean of ${logs.length}` });
      }
    });
    if (g.ref) series.push({ type: 'hline', value: g.ref.value, color: '#d62728', dash: '6 4', text: g.ref.text });
    return { title: g.title, xlabel: 'step', ylabel: g.ylabel ?? g.keys[0], ylim: g.ylim, legendRoom: g.legendRoom, series };
  });
  const cfg = logs[0].config;
  const task = typeof cfg?.task === 'string' ? cfg.task : undefined;
  const caption: string[] = [];
  if (many) caption.push(`Thin lines: ${logs.map(runName).join(', ')}; bold: mean over runs at the steps all runs logged.`);
  caption.push('Training metrics are means over each logging window; evaluation points are means over the evaluation episodes. Red dashed: cost limit (normalized cost 1) / V_h = 0.');
  return {
    title: title ?? `${task ? `${task}: ` : ''}learning curves (${many ? `${logs.length} runs` : runName(logs[0])})`,
    panels,
    columns: 3,
    panelWidth: 300,
    panelHeight: 190,
    caption,
  };
}
