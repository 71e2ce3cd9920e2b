"""TensorFlow Keras peer of `npm run bench`: the project's models built identically in Keras (NHWC, CPU).

  python keras_peer.py --case train --model vgg_small|reference_cnn --mode eager|graph [--batch 64 --steps 12 --warmup 3]
  python keras_peer.py --case conv --ranks 8,16,32 --mode eager|graph [--batch 128]
  python keras_peer.py --case forward --model-ranks '{"2x": {"conv1_1": 9}}' --mode eager|graph [--batch 128]
eager: a custom tf.GradientTape loop / plain calls; graph: the same step in tf.function(jit_compile=False).
Prints one line `PEER_RESULT <json>`. Set TF_ENABLE_ONEDNN_OPTS=1 and TF_CPP_MIN_LOG_LEVEL=2 (bench/peers.ts does).
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from _common import (BN_EPS, NUM_CLASSES, REF_POOL_AFTER, REF_WIDTHS, VGG_LAYERS, VGG_WIDTHS, WEIGHT_DECAY,  # noqa: E402
                     emit, paired_speedup, parse_args, time_interleaved, time_runs, timed_models)

keras = tf.keras
L = keras.layers


def conv3x3(name, filters, rank=None):
    """3x3 'same' conv without bias, or its vertical (3x1, C->K) / horizontal (1x3, K->N) pair."""
    if rank is None:
        return [L.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal", name=name)]
    return [L.Conv2D(rank, (3, 1), padding="same", use_bias=False, kernel_initializer="he_normal", name=f"{name}_v"),
            L.Conv2D(filters, (1, 3), padding="same", use_bias=False, kernel_initializer="he_normal", name=f"{name}_h")]


def vgg_small(ranks=None):
    """conv -> BN(momentum 0.9, eps 1e-3) -> ReLU, two per block, 2x2 max-pool; GAP; dense 10 logits."""
    ranks, layers = ranks or {}, [keras.Input((32, 32, 3))]
    names = iter(VGG_LAYERS)
    for block, width in enumerate(VGG_WIDTHS, 1):
        for _ in range(2):
            name = next(names)
            layers += conv3x3(name, width, ranks.get(name))
            layers += [L.BatchNormalization(momentum=0.9, epsilon=BN_EPS, name=f"{name}_bn"), L.ReLU(name=f"{name}_relu")]
        layers.append(L.MaxPooling2D(2, name=f"pool{block}"))
    layers += [L.GlobalAveragePooling2D(name="gap"), L.Dense(NUM_CLASSES, name="logits")]
    return keras.Sequential(layers, name="vgg_small")


def reference_cnn():
    """conv32-conv32-pool-conv64-conv64-pool-conv128-pool-dense10 softmax; BN with Keras defaults (0.99, 1e-3)."""
    layers = [keras.Input((32, 32, 3))]
    for n, width in enumerate(REF_WIDTHS, 1):
        layers += [L.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer="he_normal", name=f"conv{n}"),
                   L.BatchNormalization(name=f"bn{n}"), L.Activation("relu", name=f"relu{n}")]
        if n in REF_POOL_AFTER:
            layers.append(L.MaxPooling2D(2, name=f"pool{REF_POOL_AFTER.index(n) + 1}"))
    layers += [L.Flatten(name="flatten"), L.Dense(NUM_CLASSES, activation="softmax", name="dense")]
    return keras.Sequential(layers, name="reference_cnn")


def maybe_graph(fn, mode):
    return tf.function(fn, jit_compile=False) if mode == "graph" else fn


def train(a):
    if a.model == "vgg_small":
        model, loss_fn = vgg_small(), keras.losses.CategoricalCrossentropy(from_logits=True)
        opt, wd = keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True), WEIGHT_DECAY
    else:
        model, loss_fn = reference_cnn(), keras.losses.CategoricalCrossentropy()
        opt, wd = keras.optimizers.Adam(1e-3), 0.0
    variables = model.trainable_variables
    kernels = [v for v in variables if len(v.shape) >= 2]  # L2 on conv/dense kernels only, as ours
    opt.build(variables)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
            total = loss + (wd / 2) * tf.add_n([tf.reduce_sum(tf.square(k)) for k in kernels]) if wd else loss
        opt.apply_gradients(zip(tape.gradient(total, variables), variables))
        return loss

    step = maybe_graph(step, a.mode)
    pool = [(tf.random.normal([a.batch, 32, 32, 3]),
             tf.one_hot(tf.random.uniform([a.batch], 0, NUM_CLASSES, tf.int32), NUM_CLASSES)) for _ in range(4)]
    losses = []

    def one_step():
        x, y = pool[len(losses) % len(pool)]
        losses.append(float(step(x, y).numpy()))  # read the loss back, as our loop does

    t = time_runs(one_step, a.warmup, a.steps)
    return {"model": a.model, "stepMs": t["ms"], "stepCpuMs": t["cpuMs"], "imagesPerSecond": a.batch * 1e3 / t["ms"],
            "lossFirst": losses[0], "lossLast": losses[-1]}


def conv(a):
    x = tf.random.normal([a.batch, 32, 32, 64])
    w = tf.random.normal([3, 3, 64, 64], stddev=0.05)
    dense_fn = maybe_graph(lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"), a.mode)
    pair_fn = maybe_graph(lambda x, v, h: tf.nn.conv2d(tf.nn.conv2d(x, v, 1, "SAME"), h, 1, "SAME"), a.mode)
    fns = {"dense": lambda: dense_fn(x, w).numpy()}
    for k in a.rank_list:
        v, h = tf.random.normal([3, 1, 64, k], stddev=0.05), tf.random.normal([1, 3, k, 64], stddev=0.05)
        fns[k] = lambda v=v, h=h: pair_fn(x, v, h).numpy()
    t = time_interleaved(fns, a.warmup, a.steps)
    pairs = [{"rank": k, **t[k], "speedup": paired_speedup(t["dense"], t[k])} for k in a.rank_list]
    return {"shape": "32x32x64->64", "dense": t["dense"], "pairs": pairs}


def forward(a):
    x = tf.random.normal([a.batch, 32, 32, 3])
    fns = {}
    for name, ranks in [("dense", {})] + list(a.model_ranks.items()):
        model = vgg_small(ranks)
        fn = maybe_graph(lambda x, model=model: model(x, training=False), a.mode)
        fns[name] = (ranks, lambda fn=fn: fn(x).numpy())
    return {"models": timed_models(fns, a.warmup, a.steps)}


def main():
    a = parse_args(modes=("eager", "graph"))
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.inter_threads)
    tf.random.set_seed(0)
    result = {"train": train, "conv": conv, "forward": forward}[a.case](a)
    emit({"library": "tensorflow-keras", "version": f"tensorflow {tf.__version__}, keras {keras.__version__}", "mode": a.mode,
          "case": a.case, "batch": a.batch, "warmup": a.warmup, "runs": a.steps,
          "threads": {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                      "inter": tf.config.threading.get_inter_op_parallelism_threads()},
          "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"), **result})


if __name__ == "__main__":
    main()
