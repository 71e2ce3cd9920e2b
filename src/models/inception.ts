import * as tf from "@tensorflow/tfjs";
import { ConvGraphBuilder, type ConvFactory } from "./conv-block";

export interface InceptionOptions {
  /** Multiplies every width. Default 1. */
  widthMultiplier?: number;
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Build some convs differently, e.g. low-rank from scratch: `lowRankConvs({ speedup: 2 })` (src/lowrank). */
  lowRank?: ConvFactory;
  seed?: number;
}

/** Widths of one module's branches (BN-Inception, Ioffe & Szegedy 2015, Table 1's columns). */
interface ModuleWidths {
  /** 1×1 branch (0: none, as in the stride-2 modules). */
  b1: number;
  /** 1×1 reduce then 3×3. */
  b3r: number;
  b3: number;
  /** 1×1 reduce then two 3×3 ("double 3×3"). */
  d3r: number;
  d3: number;
  /** Pool then 1×1 projection (0 in the stride-2 modules: max-pool passed through). */
  pool: number;
}

/**
 * A BN-Inception-style CIFAR net: a 3×3 stem, then Inception modules whose branches — 1×1; 1×1 → 3×3;
 * 1×1 → 3×3 → 3×3 ("double 3×3"); 3×3 average pool → 1×1 — are concatenated; stride-2 modules (3×3
 * and double-3×3 branches with stride 2 beside a 3×3/2 max-pool) halve the map twice (32 → 16 → 8);
 * global average pooling and the logits. Every conv is conv → BN → ReLU. Convs are named
 * {module}_1x1, _3x3_reduce, _3x3, _d3x3_reduce, _d3x3_1, _d3x3_2, _pool_proj.
 */
export function inceptionNet(opts: InceptionOptions = {}): tf.LayersModel {
  const m = opts.widthMultiplier ?? 1;
  if (!(m > 0)) throw new Error(`inceptionNet widthMultiplier must be > 0, got ${m}.`);
  const w = (n: number): number => (n === 0 ? 0 : Math.max(1, Math.round(n * m)));
  const b = new ConvGraphBuilder("inception", opts.inputShape ?? [32, 32, 3], opts.lowRank, opts.seed);
  const conv = (name: string, x: tf.SymbolicTensor, filters: number, kernelSize: number, strides = 1) =>
    b.conv(name, x, { filters, kernelSize, strides, batchNorm: true, activation: "relu" });

  const module = (name: string, x: tf.SymbolicTensor, c: ModuleWidths, strides = 1): tf.SymbolicTensor => {
    const branches: tf.SymbolicTensor[] = [];
    if (c.b1) branches.push(conv(`${name}_1x1`, x, w(c.b1), 1));
    branches.push(conv(`${name}_3x3`, conv(`${name}_3x3_reduce`, x, w(c.b3r), 1), w(c.b3), 3, strides));
    const d = conv(`${name}_d3x3_1`, conv(`${name}_d3x3_reduce`, x, w(c.d3r), 1), w(c.d3), 3);
    branches.push(conv(`${name}_d3x3_2`, d, w(c.d3), 3, strides));
    if (strides === 1) {
      const pooled = b.apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: "same", name: `${name}_pool` }), x);
      branches.push(conv(`${name}_pool_proj`, pooled, w(c.pool), 1));
    } else {
      branches.push(b.apply(tf.layers.maxPooling2d({ poolSize: 3, strides, padding: "same", name: `${name}_pool` }), x));
    }
    return b.apply(tf.layers.concatenate({ name: `${name}_concat` }), branches);
  };

  let x = conv("stem", b.input, w(32), 3);
  x = module("inc1a", x, { b1: 16, b3r: 16, b3: 24, d3r: 16, d3: 24, pool: 16 });
  x = module("inc1b", x, { b1: 0, b3r: 32, b3: 48, d3r: 16, d3: 24, pool: 0 }, 2);
  x = module("inc2a", x, { b1: 48, b3r: 32, b3: 48, d3r: 32, d3: 48, pool: 32 });
  x = module("inc2b", x, { b1: 0, b3r: 48, b3: 64, d3r: 32, d3: 48, pool: 0 }, 2);
  x = module("inc3a", x, { b1: 64, b3r: 48, b3: 64, d3r: 48, d3: 64, pool: 48 });
  x = b.apply(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  const logits = b.apply(tf.layers.dense({ units: opts.numClasses ?? 10, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }) }), x);
  return b.finish(logits);
}
