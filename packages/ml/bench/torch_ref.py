#!/usr/bin/env python3
"""PyTorch reference for packages/ml/bench/train.ts: the same model and SimCLR step.

CIFAR-style ResNet-18 with base width 16 (16/32/64/128, 3x3 stem, no max-pool, zero-initialised last BN of each
block), 3-layer projection head 128-128-128 with batch norm, NT-Xent (T = 0.5), Adam (lr 1e-3). One step = both
views of `--batch` pairs (2 x batch images counted): forward, backward, update. Forward = encoder in eval mode,
no grad, `--forward-batch` images. Inputs are random views (augmentation not timed), as in train.ts.

  python3 bench/torch_ref.py [--device cuda|cpu] [--threads N] [--steps 10] [--batch 128] [--inputs 32x32x3,28x28x1]

Last line: one JSON object, like train.ts.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        nn.init.zeros_(self.bn2.weight)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class Encoder(nn.Module):
    def __init__(self, channels, widths=(16, 32, 64, 128), blocks=(2, 2, 2, 2)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            for b in range(n):
                layers.append(BasicBlock(cin, w, 2 if (b == 0 and s > 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.dim = cin

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1)


def projection_head(d, hidden=128, out=128):
    return nn.Sequential(
        nn.Linear(d, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
        nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
        nn.Linear(hidden, out, bias=False), nn.BatchNorm1d(out),
    )


def nt_xent(z1, z2, t=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    logits = z @ z.t() / t
    logits = logits - torch.eye(2 * n, device=z.device) * 1e9
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(device, h, w, c, pairs, steps, fwd_batch, channels_last):
    torch.manual_seed(0)
    enc = Encoder(c).to(device)
    head = projection_head(enc.dim).to(device)
    mf = torch.channels_last if channels_last else torch.contiguous_format
    enc = enc.to(memory_format=mf)
    opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=1e-3)
    views = torch.rand(2 * pairs, c, h, w, device=device).to(memory_format=mf)

    def step():
        enc.train(); head.train()
        z = head(enc(views))
        loss = nt_xent(z[:pairs], z[pairs:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for _ in range(2 if device.type == "cuda" else 1):
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync(device)
    train_s = (time.perf_counter() - t0) / steps
    x = torch.rand(fwd_batch, c, h, w, device=device).to(memory_format=mf)
    enc.eval()
    with torch.no_grad():
        enc(x); sync(device)
        t1 = time.perf_counter()
        fsteps = max(2, steps)
        for _ in range(fsteps):
            enc(x)
        sync(device)
        fwd_s = (time.perf_counter() - t1) / fsteps
    return {
        "backend": f"torch-{device.type}",
        "input": f"{h}x{w}x{c}",
        "trainImagesPerSecond": round(2 * pairs / train_s, 1),
        "forwardImagesPerSecond": round(fwd_batch / fwd_s, 1),
        "batch": pairs,
        "forwardBatch": fwd_batch,
        "loss": round(float(loss), 4),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--forward-batch", type=int, default=256)
    p.add_argument("--inputs", default="32x32x3,28x28x1")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--no-tf32", action="store_true", help="strict fp32 convolutions/matmuls on CUDA (webgpu computes in fp32)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = not a.no_tf32
        torch.backends.cuda.matmul.allow_tf32 = not a.no_tf32
    results = []
    for spec in a.inputs.split(","):
        h, w, c = map(int, spec.split("x"))
        r = bench(device, h, w, c, a.batch, a.steps, a.forward_batch, a.channels_last)
        print(f"{r['backend']:<10} {r['input']:<8} train {r['trainImagesPerSecond']:>9} img/s (batch {a.batch} pairs)   "
              f"forward {r['forwardImagesPerSecond']:>9} img/s (batch {a.forward_batch})", flush=True)
        results.append(r)
    info = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads",
        "tf32": bool(device.type == "cuda" and not a.no_tf32),
    }
    print(json.dumps({"model": "CIFAR ResNet-18 w16 + 3-layer head, NT-Xent T=0.5, Adam (PyTorch reference)", "results": results, **info}))


if __name__ == "__main__":
    main()
