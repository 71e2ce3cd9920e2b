"""Shared CLI, timing and output of the peer benchmarks (torch_peer.py, keras_peer.py).

Every peer prints exactly one line `PEER_RESULT <json>` on stdout; bench/peers.ts parses it.
Times are medians in milliseconds: wall clock and CPU time of the whole process (all threads).
"""
import argparse
import json
import statistics
import sys
import time

VGG_WIDTHS = (32, 64, 128)  # vggSmall default widths, two 3x3 convs per block
VGG_LAYERS = tuple(f"conv{b + 1}_{i}" for b in range(len(VGG_WIDTHS)) for i in (1, 2))
REF_WIDTHS = (32, 32, 64, 64, 128)  # reference CNN conv1..conv5
REF_POOL_AFTER = (2, 4, 5)
NUM_CLASSES = 10
BN_EPS = 1e-3
WEIGHT_DECAY = 5e-4  # L2 on kernels (rank >= 2): loss + wd/2 * sum(w^2), i.e. gradient + wd * w


def parse_args(modes=("eager",)):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--case", choices=("train", "conv", "forward"), required=True)
    p.add_argument("--model", choices=("vgg_small", "reference_cnn"), default="vgg_small", help="train case")
    p.add_argument("--batch", type=int, help="default 64 for train, 128 for conv/forward")
    p.add_argument("--steps", type=int, help="timed steps/runs (median); default 12 train, 10 conv/forward")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--mode", choices=modes, default=modes[-1])
    p.add_argument("--ranks", default="8,16,32", help="conv case: ranks K of the 3x1/1x3 pair")
    p.add_argument("--model-ranks", default="{}", help='forward case: {"2x": {"conv1_1": 9, ...}, ...}; "dense" is always timed')
    p.add_argument("--threads", type=int, default=2, help="intra-op threads")
    p.add_argument("--inter-threads", type=int, default=1, help="inter-op threads")
    a = p.parse_args()
    a.batch = a.batch or (64 if a.case == "train" else 128)
    a.steps = a.steps or (12 if a.case == "train" else 10)
    if a.batch < 1 or a.steps < 1 or a.warmup < 0:
        p.error("--batch and --steps must be >= 1, --warmup >= 0")
    a.rank_list = [int(k) for k in a.ranks.split(",") if k.strip()]
    a.model_ranks = json.loads(a.model_ranks)
    for name, ranks in a.model_ranks.items():
        unknown = sorted(set(ranks) - set(VGG_LAYERS))
        if unknown:
            p.error(f"--model-ranks['{name}'] names unknown layer(s) {unknown}; vggSmall's convs are {list(VGG_LAYERS)}")
    return a


def time_runs(fn, warmup, runs):
    """Run fn (which must return only once its result is computed) warmup times, then time it runs times."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return {"ms": statistics.median(wall), "cpuMs": statistics.median(cpu)}


def time_interleaved(fns, warmup, runs):
    """Time several functions (name -> fn) in turns: every round runs each once, who goes first rotating,
    so a change of load between rounds hits all alike. Returns name -> {ms, cpuMs, runsMs}."""
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    wall = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(runs):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            c0, t0 = time.process_time(), time.perf_counter()
            fns[name]()
            wall[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name].append((time.process_time() - c0) * 1e3)
    return {n: {"ms": statistics.median(wall[n]), "cpuMs": statistics.median(cpu[n]), "runsMs": wall[n]} for n in names}


def paired_speedup(base, other):
    """How many times faster `other` ran than `base`, round by round (time_interleaved): the median ratio."""
    return statistics.median(b / o for b, o in zip(base["runsMs"], other["runsMs"]))


def timed_models(fns, warmup, runs):
    """The forward case's result: each model (name -> (ranks, fn), "dense" first) timed in turns, with its speed-up over dense."""
    t = time_interleaved({name: fn for name, (_, fn) in fns.items()}, warmup, runs)
    return [{"name": name, "ranks": ranks, "ms": t[name]["ms"], "cpuMs": t[name]["cpuMs"], "speedup": paired_speedup(t["dense"], t[name])}
            for name, (ranks, _) in fns.items()]


def emit(result):
    sys.stdout.flush()
    print("PEER_RESULT " + json.dumps(result), flush=True)
