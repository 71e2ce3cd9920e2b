/**
 * Empirical variational Bayesian matrix factorisation (EVBMF) as an automatic rank estimate, from the
 * singular values alone — the way MUSCO (Gusak et al., "Automated multi-stage compression of neural
 * networks", 2019) picks the ranks of conv layers.
 *
 * The global analytic solution is from Nakajima, Sugiyama, Babacan & Tomioka, "Global analytic solution of
 * fully-observed variational Bayesian matrix factorization", JMLR 14 (2013); the noise-variance objective,
 * its search bounds and the shrinkage in closed form are from Nakajima, Tomioka, Sugiyama & Babacan,
 * "Perfect dimensionality recovery by variational Bayesian PCA" (NIPS 2012; JMLR 2015 version
 * "Condition for perfect dimensionality recovery by variational Bayesian PCA").
 *
 * For an L×M matrix (L ≤ M, α = L/M) with singular values γ_h and noise variance σ², write
 * x_h = γ_h² / (Mσ²). EVB keeps component h iff x_h > x̲ = (1 + τ̲)(1 + α/τ̲), i.e. γ_h > σ√(M·x̲), where τ̲
 * is the zero of Ξ(τ) = Φ(τ) + Φ(τ/α), Φ(z) = log(1 + z)/z − 1/2; a kept γ_h shrinks to γ_h·τ(x_h)/x_h with
 * τ(x) = ½(x − 1 − α + √((x − 1 − α)² − 4α)). Unknown σ² minimises the free energy over σ², which up to
 * constants is L·log σ² + Σγ_h²/(Mσ²) + Σ_{kept} ψ(τ(x_h)), ψ(τ) = log(1 + τ) + α·log(1 + τ/α) − τ.
 */

export interface VbmfEstimate {
  /** Number of components EVBMF keeps (0 when it keeps none). */
  rank: number;
  /** The estimated noise variance σ². */
  noiseVariance: number;
  /** The shrunken singular values it keeps, descending (length = rank). */
  shrunk: Float64Array;
}

/**
 * EVBMF rank of an L×M matrix (L ≤ M after transposing if needed) from its singular values (descending, all
 * min(L, M) of them). The noise variance is estimated by the method's own 1-D minimisation unless given.
 */
export function vbmfRank(
  singularValues: ArrayLike<number>,
  rows: number,
  cols: number,
  options: { noiseVariance?: number } = {},
): VbmfEstimate {
  checkSize("rows", rows);
  checkSize("cols", cols);
  const L = Math.min(rows, cols);
  const M = Math.max(rows, cols);
  if (singularValues.length !== L) {
    throw new Error(
      `vbmfRank: a ${rows}×${cols} matrix has min(rows, cols) = ${L} singular values, got ${singularValues.length}; ` +
        `pass all of them (e.g. singularValues(matrix) from svd.ts).`,
    );
  }
  const s = Float64Array.from(singularValues);
  for (let h = 0; h < L; h++) {
    if (!(Number.isFinite(s[h]) && s[h] >= 0)) {
      throw new Error(`vbmfRank: singular value ${h} is ${singularValues[h]}; singular values must be finite and ≥ 0.`);
    }
    if (h > 0 && s[h] > s[h - 1]) {
      throw new Error(
        `vbmfRank: singular values must be in descending order, but value ${h} (${s[h]}) is above value ${h - 1} ` +
          `(${s[h - 1]}); sort them descending, as svd.ts returns them.`,
      );
    }
  }
  const given = options.noiseVariance;
  if (given !== undefined && !(typeof given === "number" && Number.isFinite(given) && given > 0)) {
    throw new Error(`vbmfRank: noiseVariance must be a finite number > 0 (σ², not σ), got ${given}; omit it to estimate it.`);
  }

  const alpha = L / M;
  const tauBar = evbTauThreshold(alpha);
  const xBar = (1 + tauBar) * (1 + alpha / tauBar);
  let total = 0;
  for (let h = 0; h < L; h++) total += s[h] * s[h];
  if (total === 0 && given === undefined) {
    // A zero matrix: nothing to keep and no noise to speak of.
    return { rank: 0, noiseVariance: 0, shrunk: new Float64Array(0) };
  }

  const sigma2 = given ?? estimateNoiseVariance(s, L, M, alpha, xBar, total);
  const cut = M * sigma2 * xBar;
  let rank = 0;
  while (rank < L && s[rank] * s[rank] > cut) rank++;
  const shrunk = new Float64Array(rank);
  for (let h = 0; h < rank; h++) {
    const x = (s[h] * s[h]) / (M * sigma2);
    shrunk[h] = (s[h] * tauOf(x, alpha)) / x;
  }
  return { rank, noiseVariance: sigma2, shrunk };
}

function checkSize(name: string, n: number): void {
  if (!(Number.isSafeInteger(n) && n > 0)) {
    throw new Error(`vbmfRank: ${name} must be a positive integer (the matrix's ${name}), got ${n}.`);
  }
}

/** Φ(z) = log(1 + z)/z − 1/2, decreasing from 1/2 (z → 0) to −1/2 (z → ∞). */
function phi(z: number): number {
  return Math.log1p(z) / z - 0.5;
}

/**
 * τ̲: the zero of the decreasing Ξ(τ) = Φ(τ) + Φ(τ/α), where the nonzero EVB solution starts to beat the
 * zero one (ψ(τ̲) = 0). Solved by bisection rather than the common 2.5129·√α shortcut, which is exact only
 * at α = 1 and puts the threshold slightly low for α < 1 (it also makes the objective jump at x̲).
 */
function evbTauThreshold(alpha: number): number {
  const xi = (t: number) => phi(t) + phi(t / alpha);
  let lo = Math.sqrt(alpha);
  let hi = 4 * lo;
  while (xi(lo) < 0) lo /= 2;
  while (xi(hi) > 0) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (xi(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** τ(x), the larger root of τ² − (x − 1 − α)τ + α = 0 (real for x ≥ (1 + √α)², which x > x̲ guarantees). */
function tauOf(x: number, alpha: number): number {
  const b = x - 1 - alpha;
  return 0.5 * (b + Math.sqrt(Math.max(0, b * b - 4 * alpha)));
}

/**
 * σ² minimising the EVB free energy, searched between the bounds of Nakajima et al. (2015):
 * above, ‖Y‖²/(LM) (everything is noise); below, max(γ_{H̄+1}²/(M·x̲), Σ_{h>H̄} γ_h²/(M(L − H̄))) with
 * H̄ = ⌈L/(1 + α)⌉ − 1 the largest rank EVB can return.
 */
function estimateNoiseVariance(s: Float64Array, L: number, M: number, alpha: number, xBar: number, total: number): number {
  const hBar = Math.ceil((L * M) / (L + M)) - 1; // = ⌈L/(1 + α)⌉ − 1 < L, without rounding α
  let tail = 0;
  for (let h = hBar; h < L; h++) tail += s[h] * s[h];
  const upper = total / (L * M);
  let lower = Math.max((s[hBar] * s[hBar]) / (M * xBar), tail / (M * (L - hBar)));
  // An exactly rank-≤H̄ matrix has lower = 0 (and the objective falls without bound towards σ² = 0):
  // stop at round-off scale.
  lower = Math.min(upper, Math.max(lower, upper * Number.EPSILON * Number.EPSILON, Number.MIN_VALUE));

  // Search over t = log σ²: scale-free, so weights of any magnitude get the same relative accuracy.
  const objective = (t: number): number => {
    const sigma2 = Math.exp(t);
    const cut = M * sigma2 * xBar;
    let f = L * t + total / (M * sigma2);
    for (let h = 0; h < L && s[h] * s[h] > cut; h++) {
      const tau = tauOf((s[h] * s[h]) / (M * sigma2), alpha);
      f += Math.log1p(tau) + alpha * Math.log1p(tau / alpha) - tau;
    }
    return f;
  };
  return Math.exp(minimizeBounded(objective, Math.log(lower), Math.log(upper)));
}

/**
 * Deterministic bounded minimiser: the free energy need not be unimodal in σ² (each component entering
 * adds a kink), so a coarse grid picks the best basin and golden-section search refines inside it.
 * Returns the best point evaluated.
 */
function minimizeBounded(f: (t: number) => number, a: number, b: number, gridPoints = 128, tol = 1e-10): number {
  if (!(b > a)) return a;
  const step = (b - a) / (gridPoints - 1);
  let bestT = a;
  let bestF = Infinity;
  let bestI = 0;
  for (let i = 0; i < gridPoints; i++) {
    const t = i === gridPoints - 1 ? b : a + i * step;
    const v = f(t);
    if (v < bestF) {
      bestF = v;
      bestT = t;
      bestI = i;
    }
  }
  let lo = bestI === 0 ? a : a + (bestI - 1) * step;
  let hi = bestI === gridPoints - 1 ? b : a + (bestI + 1) * step;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = hi - g * (hi - lo);
  let d = lo + g * (hi - lo);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 200 && hi - lo > tol * Math.max(1, Math.abs(lo)); i++) {
    if (fc <= fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - g * (hi - lo);
      fc = f(c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + g * (hi - lo);
      fd = f(d);
    }
  }
  if (fc < bestF) {
    bestF = fc;
    bestT = c;
  }
  if (fd < bestF) bestT = d;
  return bestT;
}
