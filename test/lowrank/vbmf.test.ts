import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, type Rng } from "../../src/data/prng";
import { type Matrix, transpose } from "../../src/lowrank/matrix";
import { singularValues } from "../../src/lowrank/svd";
import { vbmfRank } from "../../src/lowrank/vbmf";

/** Standard normal by Box–Muller (1 − u keeps the log finite). */
function gauss(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Σ_k d_k·u_k·v_kᵀ/√(LM) + σ·noise with Gaussian u_k, v_k, so component k has singular value ≈ d_k;
 * d_k spread over [4, 12], well above the noise edge σ(√L + √M) ≈ 1.7 for 60×80, σ = 0.1.
 */
function lowRankPlusNoise(L: number, M: number, r: number, sigma: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float64Array(L * M);
  for (let k = 0; k < r; k++) {
    const d = r === 1 ? 8 : 4 + (8 * k) / (r - 1);
    const u = Array.from({ length: L }, () => gauss(rng));
    const v = Array.from({ length: M }, () => gauss(rng));
    const scale = d / Math.sqrt(L * M);
    for (let i = 0; i < L; i++) for (let j = 0; j < M; j++) data[i * M + j] += scale * u[i] * v[j];
  }
  for (let i = 0; i < L * M; i++) data[i] += sigma * gauss(rng);
  return { data, rows: L, cols: M };
}

/** τ̲ from its defining property, ψ(τ̲) = log(1 + τ) + α·log(1 + τ/α) − τ = 0 (written apart from the source). */
function tauBar(alpha: number): number {
  const psi = (t: number) => Math.log(1 + t) + alpha * Math.log(1 + t / alpha) - t;
  let lo = 1e-3 * Math.sqrt(alpha);
  let hi = 100 * Math.sqrt(alpha);
  for (let i = 0; i < 300; i++) {
    const mid = 0.5 * (lo + hi);
    if (psi(mid) > 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The EVB free energy in σ² as the VBMF package writes it (x − log x per dropped, the EVB term per kept). */
function freeEnergy(s: ArrayLike<number>, L: number, M: number, sigma2: number): number {
  const alpha = L / M;
  const t = tauBar(alpha);
  const xBar = (1 + t) * (1 + alpha / t);
  let f = 0;
  for (let h = 0; h < s.length; h++) {
    const x = (s[h] * s[h]) / (M * sigma2);
    if (x > xBar) {
      const tau = 0.5 * (x - (1 + alpha) + Math.sqrt((x - (1 + alpha)) ** 2 - 4 * alpha));
      f += x - tau + Math.log((tau + 1) / x) + alpha * Math.log(tau / alpha + 1);
    } else {
      f += x - Math.log(x);
    }
  }
  return f;
}

test("vbmfRank recovers the rank and σ² of low-rank plus noise (60×80, σ = 0.1)", () => {
  const sigma = 0.1;
  for (const r of [1, 5, 12]) {
    for (const seed of [1, 2, 3]) {
      const s = singularValues(lowRankPlusNoise(60, 80, r, sigma, seed));
      const est = vbmfRank(s, 60, 80);
      const where = `r = ${r}, seed ${seed}: got rank ${est.rank}, σ² = ${est.noiseVariance}`;
      assert.equal(est.rank, r, where);
      assert.ok(Math.abs(est.noiseVariance / (sigma * sigma) - 1) < 0.3, where);
      assert.equal(est.shrunk.length, r);
      for (let h = 0; h < r; h++) {
        assert.ok(est.shrunk[h] > 0 && est.shrunk[h] < s[h], `${where}: shrunk ${h} in (0, γ_h)`);
        if (h > 0) assert.ok(est.shrunk[h] <= est.shrunk[h - 1], `${where}: shrunk descending`);
      }
    }
  }
});

test("vbmfRank on other shapes and noise levels", () => {
  for (const [L, M, r, sigma, seed] of [
    [100, 100, 8, 0.1, 4],
    [20, 300, 3, 0.1, 5],
    [40, 50, 4, 0.02, 6],
  ]) {
    const s = singularValues(lowRankPlusNoise(L, M, r, sigma, seed));
    const est = vbmfRank(s, L, M);
    assert.equal(est.rank, r, `${L}×${M} r = ${r}`);
    assert.ok(Math.abs(est.noiseVariance / (sigma * sigma) - 1) < 0.3, `${L}×${M}: σ² = ${est.noiseVariance}`);
  }
});

test("the estimated σ² minimises the free energy over the search range", () => {
  const L = 60;
  const M = 80;
  const s = singularValues(lowRankPlusNoise(L, M, 5, 0.1, 7));
  const est = vbmfRank(s, L, M);
  const fEst = freeEnergy(s, L, M, est.noiseVariance);
  let total = 0;
  for (const v of s) total += v * v;
  const upper = total / (L * M);
  // Scan a fine grid from far below the noise level up to the upper bound ‖Y‖²/(LM).
  for (let i = 0; i <= 2000; i++) {
    const sigma2 = upper * Math.pow(1e-3, 1 - i / 2000);
    assert.ok(fEst <= freeEnergy(s, L, M, sigma2) + 1e-9 * Math.abs(fEst), `F(${est.noiseVariance}) > F(${sigma2})`);
  }
});

test("pure noise keeps nothing and estimates σ²", () => {
  let seed = 10;
  for (const [L, M] of [
    [60, 80],
    [100, 100],
    [30, 200],
  ]) {
    for (let rep = 0; rep < 2; rep++) {
      const s = singularValues(lowRankPlusNoise(L, M, 0, 0.1, seed++));
      const est = vbmfRank(s, L, M);
      assert.equal(est.rank, 0, `${L}×${M} noise: rank ${est.rank}`);
      assert.equal(est.shrunk.length, 0);
      assert.ok(Math.abs(est.noiseVariance / 0.01 - 1) < 0.3, `${L}×${M}: σ² = ${est.noiseVariance}`);
    }
  }
});

test("a given noise variance is used as is: threshold σ√(M·x̲) and the paper's shrinkage", () => {
  const L = 60;
  const M = 80;
  const s = singularValues(lowRankPlusNoise(L, M, 5, 0.1, 11));
  const alpha = L / M;
  const t = tauBar(alpha);
  const xBar = (1 + t) * (1 + alpha / t);
  for (const sigma2 of [0.004, 0.01, 0.05, 0.5]) {
    const est = vbmfRank(s, L, M, { noiseVariance: sigma2 });
    assert.equal(est.noiseVariance, sigma2);
    const threshold = Math.sqrt(M * sigma2 * xBar);
    assert.equal(est.rank, Array.from(s).filter((v) => v > threshold).length, `σ² = ${sigma2}`);
    for (let h = 0; h < est.rank; h++) {
      // Closed form of Nakajima et al. (NIPS 2012, eq. 15) as the VBMF package writes it.
      const g = s[h];
      const a = 1 - ((L + M) * sigma2) / (g * g);
      const expected = (g / 2) * (a + Math.sqrt(a * a - (4 * L * M * sigma2 * sigma2) / g ** 4));
      assert.ok(Math.abs(est.shrunk[h] - expected) <= 1e-12 * g, `σ² = ${sigma2}, h = ${h}: ${est.shrunk[h]} vs ${expected}`);
    }
  }
  // Huge σ² keeps nothing; tiny σ² keeps every component (and barely shrinks it).
  assert.equal(vbmfRank(s, L, M, { noiseVariance: 100 }).rank, 0);
  const all = vbmfRank(s, L, M, { noiseVariance: 1e-12 });
  assert.equal(all.rank, L);
  assert.ok(Math.abs(all.shrunk[0] - s[0]) < 1e-6 * s[0]);
});

test("τ̲ at α = 1 is the paper's 2.5129: square matrix threshold σ√(M·3.5129·1.398)", () => {
  const s = [10, 5, 1, 0.5];
  const sigma2 = 1;
  const t = 2.5129;
  const threshold = Math.sqrt(4 * sigma2 * (1 + t) * (1 + 1 / t)); // ≈ 4.43
  assert.ok(threshold > 4.4 && threshold < 4.5);
  assert.equal(vbmfRank(s, 4, 4, { noiseVariance: sigma2 }).rank, 2);
  assert.equal(vbmfRank(s, 4, 4, { noiseVariance: (5 / 4.4) ** 2 }).rank, 1);
});

test("τ̲ is the exact zero for α < 1, not the 2.5129·√α shortcut (≈ 0.6% lower threshold at α = 0.01)", () => {
  const L = 4;
  const M = 400;
  const alpha = L / M;
  const t = tauBar(alpha);
  const exact = Math.sqrt(M * (1 + t) * (1 + alpha / t));
  const shortcut = Math.sqrt(M * (1 + 2.5129 * Math.sqrt(alpha)) * (1 + alpha / (2.5129 * Math.sqrt(alpha))));
  assert.ok(shortcut < exact * 0.996);
  const s = [exact * 1.001, exact * 0.999, shortcut * 1.001, 0.1];
  assert.equal(vbmfRank(s, L, M, { noiseVariance: 1 }).rank, 1);
});

test("cols < rows gives the same as the transpose", () => {
  const m = lowRankPlusNoise(60, 80, 5, 0.1, 12);
  const s = singularValues(m);
  const sT = singularValues(transpose(m));
  const a = vbmfRank(s, 60, 80);
  const b = vbmfRank(s, 80, 60);
  assert.deepEqual(b, a);
  const c = vbmfRank(sT, 80, 60);
  assert.equal(c.rank, 5);
  assert.ok(Math.abs(c.noiseVariance / a.noiseVariance - 1) < 1e-6);
  assert.deepEqual(vbmfRank(s, 80, 60, { noiseVariance: 0.02 }), vbmfRank(s, 60, 80, { noiseVariance: 0.02 }));
});

test("edge cases: zero matrix, exactly low rank, a single row, scale invariance", () => {
  assert.deepEqual(vbmfRank([0, 0, 0], 3, 5), { rank: 0, noiseVariance: 0, shrunk: new Float64Array(0) });
  // Noise-free rank 2 (well below the largest EVB rank ⌈LM/(L+M)⌉ − 1 = 4): σ² → 0, both kept.
  const exact = vbmfRank([3, 1, 0, 0, 0, 0, 0, 0, 0, 0], 10, 10);
  assert.equal(exact.rank, 2);
  assert.ok(exact.noiseVariance < 1e-20);
  // A vector carries no evidence of structure: EVB keeps nothing.
  assert.equal(vbmfRank([7], 1, 50).rank, 0);
  // Tiny weights (conv-kernel scale) give the same rank and σ² scaled by c².
  const s = singularValues(lowRankPlusNoise(60, 80, 5, 0.1, 13));
  const c = 1e-4;
  const base = vbmfRank(s, 60, 80);
  const small = vbmfRank(Array.from(s, (v) => v * c), 60, 80);
  assert.equal(small.rank, base.rank);
  assert.ok(Math.abs(small.noiseVariance / (base.noiseVariance * c * c) - 1) < 1e-6);
});

test("bad input throws naming the value and what to give", () => {
  assert.throws(() => vbmfRank([1, 2], 2, 3), /descending order, but value 1 \(2\) is above value 0 \(1\); sort them descending/);
  assert.throws(() => vbmfRank([2, -1], 2, 3), /singular value 1 is -1; singular values must be finite and ≥ 0/);
  assert.throws(() => vbmfRank([NaN, 1], 2, 3), /singular value 0 is NaN/);
  assert.throws(() => vbmfRank([Infinity, 1], 2, 3), /singular value 0 is Infinity/);
  assert.throws(() => vbmfRank([2, 1], 2, 5.5), /cols must be a positive integer .* got 5\.5/);
  assert.throws(() => vbmfRank([], 0, 3), /rows must be a positive integer .* got 0/);
  assert.throws(() => vbmfRank([3, 2, 1], 2, 3), /min\(rows, cols\) = 2 singular values, got 3; pass all of them/);
  assert.throws(() => vbmfRank([3], 4, 3), /min\(rows, cols\) = 3 singular values, got 1/);
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => vbmfRank([2, 1], 2, 3, { noiseVariance: bad }), new RegExp(`noiseVariance must be a finite number > 0.*got ${bad}`));
  }
});
