"""PyTorch peer of `npm run bench`: the project's models built identically in torch (NCHW, CPU).

  python3 torch_peer.py --case train --model vgg_small|reference_cnn [--batch 64 --steps 12 --warmup 3]
  python3 torch_peer.py --case conv --ranks 8,16,32 [--batch 128]
  python3 torch_peer.py --case forward --model-ranks '{"2x": {"conv1_1": 9}}' [--batch 128]
Prints one line `PEER_RESULT <json>`.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from _common import (BN_EPS, NUM_CLASSES, REF_POOL_AFTER, REF_WIDTHS, VGG_LAYERS, VGG_WIDTHS, WEIGHT_DECAY,
                     emit, paired_speedup, parse_args, time_interleaved, time_runs, timed_models)


def conv3x3(cin, cout, rank=None):
    """3x3 'same' conv without bias, or its vertical (3x1, C->K) / horizontal (1x3, K->N) pair."""
    if rank is None:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False)]
    return [nn.Conv2d(cin, rank, (3, 1), padding=(1, 0), bias=False), nn.Conv2d(rank, cout, (1, 3), padding=(0, 1), bias=False)]


def vgg_small(ranks=None):
    """conv -> BN(momentum 0.9 Keras = 0.1 torch, eps 1e-3) -> ReLU, two per block, 2x2 max-pool; GAP; dense 10 logits."""
    ranks, layers, cin = ranks or {}, [], 3
    names = iter(VGG_LAYERS)
    for width in VGG_WIDTHS:
        for _ in range(2):
            layers += conv3x3(cin, width, ranks.get(next(names)))
            layers += [nn.BatchNorm2d(width, eps=BN_EPS, momentum=0.1), nn.ReLU()]
            cin = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, NUM_CLASSES)]
    return init(nn.Sequential(*layers))


def reference_cnn():
    """conv32-conv32-pool-conv64-conv64-pool-conv128-pool-dense10, BN with Keras defaults (momentum 0.99, eps 1e-3).
    Ends in logits: softmax + categorical cross-entropy is F.cross_entropy (one fused log-softmax)."""
    layers, cin = [], 3
    for n, width in enumerate(REF_WIDTHS, 1):
        layers += [nn.Conv2d(cin, width, 3, padding=1, bias=False), nn.BatchNorm2d(width, eps=BN_EPS, momentum=0.01), nn.ReLU()]
        if n in REF_POOL_AFTER:
            layers.append(nn.MaxPool2d(2))
        cin = width
    layers += [nn.Flatten(), nn.Linear(cin * 4 * 4, NUM_CLASSES)]
    return init(nn.Sequential(*layers))


def init(model):
    for m in model.modules():  # He-normal convs, Glorot-uniform dense, as ours
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def train(a):
    model = vgg_small() if a.model == "vgg_small" else reference_cnn()
    model.train()
    if a.model == "vgg_small":  # weight decay on conv/linear kernels only (gradient + wd*w, as ours)
        kernels = [p for p in model.parameters() if p.dim() >= 2]
        others = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.SGD([{"params": kernels, "weight_decay": WEIGHT_DECAY}, {"params": others, "weight_decay": 0.0}],
                              lr=0.1, momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # tfjs/Keras epsilon
    pool = [(torch.randn(a.batch, 3, 32, 32), torch.randint(0, NUM_CLASSES, (a.batch,))) for _ in range(4)]
    losses, step = [], [0]

    def one_step():
        x, y = pool[step[0] % len(pool)]
        step[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # read the loss back, as our loop does

    t = time_runs(one_step, a.warmup, a.steps)
    return {"model": a.model, "stepMs": t["ms"], "stepCpuMs": t["cpuMs"], "imagesPerSecond": a.batch * 1e3 / t["ms"],
            "lossFirst": losses[0], "lossLast": losses[-1]}


@torch.no_grad()
def conv(a):
    x = torch.randn(a.batch, 64, 32, 32)
    w = torch.randn(64, 64, 3, 3) * 0.05
    fns = {"dense": lambda: F.conv2d(x, w, padding=1)}
    for k in a.rank_list:
        v, h = torch.randn(k, 64, 3, 1) * 0.05, torch.randn(64, k, 1, 3) * 0.05
        fns[k] = lambda v=v, h=h: F.conv2d(F.conv2d(x, v, padding=(1, 0)), h, padding=(0, 1))
    t = time_interleaved(fns, a.warmup, a.steps)
    pairs = [{"rank": k, **t[k], "speedup": paired_speedup(t["dense"], t[k])} for k in a.rank_list]
    return {"shape": "32x32x64->64", "dense": t["dense"], "pairs": pairs}


@torch.no_grad()
def forward(a):
    x = torch.randn(a.batch, 3, 32, 32)
    fns = {}
    for name, ranks in [("dense", {})] + list(a.model_ranks.items()):
        model = vgg_small(ranks).eval()
        fns[name] = (ranks, lambda model=model: model(x))
    return {"models": timed_models(fns, a.warmup, a.steps)}


def main():
    a = parse_args(modes=("eager",))
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.inter_threads)
    result = {"train": train, "conv": conv, "forward": forward}[a.case](a)
    emit({"library": "torch", "version": torch.__version__, "mode": "eager", "case": a.case, "batch": a.batch,
          "warmup": a.warmup, "runs": a.steps, "threads": {"intra": torch.get_num_threads(), "inter": torch.get_num_interop_threads()},
          "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "default"),
          **result})


if __name__ == "__main__":
    main()
