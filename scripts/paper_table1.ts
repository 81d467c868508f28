/**
 * The FISOR paper's Table 1 rows for the tasks this project shares with it (normalized reward / cost, DSRL
 * data, the paper's budgets; ../shared/reference/FISOR.md), and the section that sets FISOR's reward
 * relative to BC here beside the same ratio in the paper. Why: the "reward >= 0.8x BC-Safe"
 * check is read against what the paper's own FISOR gives up for safety on the same tasks.
 */

/** The paper's BC (all data) and FISOR cells, [normalized reward, normalized cost]. */
export const PAPER_TABLE1: Record<string, { bc: [number, number]; fisor: [number, number] }> = {
  BallRun: { bc: [0.67, 11.38], fisor: [0.18, 0.0] },
  CarRun: { bc: [0.96, 1.88], fisor: [0.73, 0.14] },
  BallCircle: { bc: [0.72, 10.02], fisor: [0.34, 0.0] },
  CarCircle: { bc: [0.65, 11.16], fisor: [0.4, 0.11] },
};

/** Mean normalized reward over seeds of one algorithm on one task, or undefined where it has no run. */
export type MeanReward = (algo: string, task: string) => number | undefined;

/**
 * Markdown lines: per shared task, FISOR's reward / BC-All's and / BC-Safe's here, and FISOR / BC in the
 * paper. Empty when no shared task has both FISOR and BC-All here.
 */
export function paperRatioSection(tasks: string[], reward: MeanReward): string[] {
  const f2 = (x: number) => x.toFixed(2);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b <= 0 ? '-' : `${f2(a / b)}x`);
  const rows = tasks.filter((t) => PAPER_TABLE1[t] && reward('fisor', t) !== undefined && reward('bc-all', t) !== undefined).map((t) => {
    const p = PAPER_TABLE1[t];
    const fisor = reward('fisor', t)!;
    return `| ${t} | ${f2(fisor)} | ${ratio(fisor, reward('bc-all', t))} | ${ratio(fisor, reward('bc-safe', t))} | ${f2(p.fisor[0])} / ${f2(p.fisor[1])} | ${f2(p.bc[0])} / ${f2(p.bc[1])} | ${ratio(p.fisor[0], p.bc[0])} |`;
  });
  if (!rows.length) return [];
  return [
    '**What FISOR gives up for safety, here and in the paper.** FISOR\'s normalized reward relative to behaviour cloning on the same data, here (means over seeds, Table 1 above) and in the paper\'s Table 1 (DSRL data, the paper\'s budgets; its BC column is BC on all data; it has no BC-Safe column):', '',
    '| Task | FISOR reward here | / BC-All here | / BC-Safe here | paper: FISOR reward / cost | paper: BC reward / cost | paper: FISOR / BC |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}
