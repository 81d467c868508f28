/**
 * metrics.csv beside metrics.jsonl: one fixed header (every train, eval and convergence column), one row per JSONL line,
 * empty cells where a line has no such field. Rebuilt from the JSONL on resume, so the two always agree.
 */
export const CSV_COLUMNS = [
  'type', 'step',
  'actorLoss', 'qrLoss', 'vrLoss', 'qhLoss', 'vhLoss', 'meanQr', 'meanVr', 'meanQh', 'meanVh',
  'feasibleFraction', 'unsafeFraction', 'zeroWeightFraction', 'weightMean', 'weightMax', 'actorLr', 'stepsPerSec',
  'normalizedReward', 'normalizedCost', 'normalizedRewardStd', 'normalizedCostStd', 'meanReturn', 'meanCost', 'safeFraction', 'costLimit', 'seconds',
  // convergence lines (rl/fisor/convergence.ts; their feasibleFraction is the held-out one)
  'qhResidual', 'qrResidual', 'vhSignAgreement', 'qhInRange', 'vhAuc',
] as const;

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\n';

/**
 * One CSV field (RFC 4180): quoted, with inner quotes doubled, when it holds a comma, a quote or a line break; as
 * is otherwise. Today's names and values never need it, but a baseline's metric names are its own, and one comma
 * would shift every later column of the file.
 */
export const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function csvRow(obj: Record<string, unknown>, columns: readonly string[] = CSV_COLUMNS): string {
  return columns.map((c) => {
    const v = obj[c];
    return typeof v === 'number' || typeof v === 'string' ? csvField(String(v)) : '';
  }).join(',') + '\n';
}

/**
 * For loops whose metric names depend on the algorithm (rl/algos): the columns are every key in order of
 * first appearance, so the CSV is a function of the JSONL lines alone (a resumed run's equals an
 * uninterrupted one's). `add` returns true when a line brings a new column (then rewrite with `csvText`).
 */
export class CsvColumns {
  readonly columns: string[] = ['type', 'step'];
  add(obj: Record<string, unknown>): boolean {
    let grew = false;
    for (const k of Object.keys(obj)) if (!this.columns.includes(k)) {
      this.columns.push(k);
      grew = true;
    }
    return grew;
  }
  header(): string {
    return this.columns.map(csvField).join(',') + '\n';
  }
  text(objs: readonly Record<string, unknown>[]): string {
    return this.header() + objs.map((o) => csvRow(o, this.columns)).join('');
  }
}
