/**
 * Discrete variance-preserving (VP) noise schedule of FISOR / IDQL (`vp_beta_schedule`):
 *
 *   beta_t = 1 - exp(-bmin / T - 0.5 (bmax - bmin) (2t - 1) / T^2),  t = 1..T,
 *   alpha_t = 1 - beta_t,  abar_t = prod_{s <= t} alpha_s.
 *
 * Arrays are indexed by the network's integer time k = t - 1 in {0, .., T-1}.
 * T = 5, bmin = 0.1, bmax = 10 give beta ~ [0.196, 0.459, 0.636, 0.755, 0.835], abar_{T-1} ~ 0.0064.
 */
export interface DiffusionSchedule {
  T: number;
  betas: Float64Array;
  alphas: Float64Array;
  alphaBars: Float64Array;
}

export function vpSchedule(T = 5, betaMin = 0.1, betaMax = 10): DiffusionSchedule {
  if (!Number.isInteger(T) || T < 1) throw new Error(`vpSchedule: T must be an integer >= 1, got ${T}`);
  if (!(betaMin > 0) || !(betaMax >= betaMin)) throw new Error(`vpSchedule: need 0 < betaMin <= betaMax, got ${betaMin}, ${betaMax}`);
  const betas = new Float64Array(T);
  const alphas = new Float64Array(T);
  const alphaBars = new Float64Array(T);
  let prod = 1;
  for (let k = 0; k < T; k++) {
    const t = k + 1;
    const alpha = Math.exp(-betaMin / T - (0.5 * (betaMax - betaMin) * (2 * t - 1)) / (T * T));
    betas[k] = 1 - alpha;
    alphas[k] = alpha;
    prod *= alpha;
    alphaBars[k] = prod;
  }
  return { T, betas, alphas, alphaBars };
}
