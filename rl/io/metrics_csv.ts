/**
 * metrics.csv beside metrics.jsonl: one fixed header (every train and eval column), one row per JSONL line,
 * empty cells where a line has no such field. Rebuilt from the JSONL on resume, so the two always agree.
 */
export const CSV_COLUMNS = [
  'type', 'step',
  'actorLoss', 'qrLoss', 'vrLoss', 'qhLoss', 'vhLoss', 'meanQr', 'meanVr', 'meanQh', 'meanVh',
  'feasibleFraction', 'unsafeFraction', 'zeroWeightFraction', 'weightMean', 'weightMax', 'actorLr', 'stepsPerSec',
  'normalizedReward', 'normalizedCost', 'normalizedRewardStd', 'normalizedCostStd', 'meanReturn', 'meanCost', 'safeFraction', 'costLimit', 'seconds',
] as const;

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\n';

export function csvRow(obj: Record<string, unknown>): string {
  return CSV_COLUMNS.map((c) => {
    const v = obj[c];
    return typeof v === 'number' || typeof v === 'string' ? String(v) : '';
  }).join(',') + '\n';
}
