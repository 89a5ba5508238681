#!/usr/bin/env python3
"""PyTorch side of `emofuse bench train`: the same networks, data shapes and schedule, same JSON keys.

Random data shaped like MuSe-Stress: 41 train sequences of 600 steps cut into windows of 300 with
hop 50 (287 windows), batches of 64 (the last partial), 14 devel sequences of 600 steps scored after
every epoch (as EmoFuse's Trainer does for early stopping; part of the epoch), nn.GRU/nn.LSTM
(batch_first, 4 layers, 64 units, dropout 0.2, bidirectional unless --unidirectional) + nn.Linear
head, Adam (lr 1e-3). Regressors: 1 output, CCC loss per window averaged over the batch;
auto-encoders (--autoencoder): output = input, MSE. One warm-up epoch, then --epochs timed epochs
(epoch_seconds: mean wall time; epoch_cpu_seconds: mean process CPU time). Inference: forward only
over 69 whole 600-step sequences in batches of 18, 18, 18 and 15 (as EmoFuse's Inference), under
torch.no_grad(), 3 times (the median run is reported); an auto-encoder's inference also computes
each step's reconstruction error mean((x - x_hat)^2), the output EmoFuse's product keeps. train_gflops and inference_gflops use
EmoFuse's analytic count of the same network's work (see `emofuse bench train --help`), so the
two sides divide the same number.

Usage: python3 scripts/bench/torch_reference.py [--threads N] [--input-size D] [--cell gru|lstm]
       [--unidirectional] [--autoencoder] [--epochs N] [--seed S]
Without configuration options it runs BiGRU-89, BiGRU-4097, BiGRU-AE-89, BiLSTM-89, GRU-89.
Needs the CPU wheel of torch (see the performance notes).
"""
import argparse
import json
import resource
import sys
import time

import torch
from torch import nn

SEQUENCES, SEQUENCE_STEPS, WINDOW_STEPS, HOP, BATCH = 41, 600, 300, 50, 64
DEVEL_SEQUENCES, INFERENCE_SEQUENCES, INFERENCE_BATCH, INFERENCE_RUNS = 14, 69, 18, 3
HIDDEN, LAYERS, DROPOUT = 64, 4, 0.2


class Net(nn.Module):
    def __init__(self, cell, input_size, bidirectional, output_size):
        super().__init__()
        rnn_cls = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = rnn_cls(input_size, HIDDEN, LAYERS, batch_first=True, bidirectional=bidirectional,
                           dropout=DROPOUT)
        self.head = nn.Linear(HIDDEN * (2 if bidirectional else 1), output_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


def ccc_loss(pred, target):
    """pred, target: [batch, steps, 1]; 1 - CCC per window (1/N moments), averaged over the batch."""
    mp, my = pred.mean(dim=1, keepdim=True), target.mean(dim=1, keepdim=True)
    vp = ((pred - mp) ** 2).mean(dim=1)
    vy = ((target - my) ** 2).mean(dim=1)
    cov = ((pred - mp) * (target - my)).mean(dim=1)
    ccc = 2 * cov / (vp + vy + (mp - my).squeeze(1) ** 2)
    return (1 - ccc).mean()


def flop_counts(cell, input_size, bidirectional, output_size, windows):
    """EmoFuse's analytic count (NetworkConfig.forwardFlops/backwardFlops) of one epoch
    (`windows` windows of WINDOW_STEPS forward and backward, then the devel forward) and of the
    inference pass (INFERENCE_SEQUENCES whole sequences forward)."""
    dirs, g, h = (2 if bidirectional else 1), (3 if cell == "gru" else 4), HIDDEN
    gate_fwd, gate_bwd = (14, 17) if cell == "gru" else (17, 23)

    def forward(t, b):
        f = 0.0
        for layer in range(LAYERS):
            i = input_size if layer == 0 else dirs * h
            f += dirs * (2 * t * b * i * g * h + 2 * (t - 1) * b * h * g * h + t * b * h * gate_fwd)
        return f + 2 * t * b * dirs * h * output_size

    def backward(t, b):
        f = 0.0
        for layer in range(LAYERS):
            i = input_size if layer == 0 else dirs * h
            f += dirs * (4 * (t - 1) * b * g * h * h + 2 * t * b * g * h * i + t * b * h * gate_bwd)
            if layer > 0:
                f += dirs * 2 * t * b * g * h * i
        return f + 4 * t * b * dirs * h * output_size

    epoch = (forward(WINDOW_STEPS, windows) + backward(WINDOW_STEPS, windows)
             + forward(SEQUENCE_STEPS, DEVEL_SEQUENCES))
    return epoch, forward(SEQUENCE_STEPS, INFERENCE_SEQUENCES)


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def config_name(cell, input_size, bidirectional, autoencoder):
    return ("Bi" if bidirectional else "") + cell.upper() + ("-AE" if autoencoder else "") + f"-{input_size}"


def run(cell, input_size, bidirectional, autoencoder, threads, epochs, seed):
    reset_peak_rss()
    gen = torch.Generator().manual_seed(seed)
    d = input_size
    total = INFERENCE_SEQUENCES                                     # 41 train, 14 devel, 14 test
    data = (torch.rand(total, SEQUENCE_STEPS, d, generator=gen) * 2 - 1) * 1.732
    steps = (torch.rand(total, SEQUENCE_STEPS, generator=gen) * 0.1 - 0.05)
    labels = steps.cumsum(dim=1).clamp(-1, 1).unsqueeze(-1)          # label-like random walks
    windows = [(s, start) for s in range(SEQUENCES)
               for start in range(0, SEQUENCE_STEPS - WINDOW_STEPS + 1, HOP)]
    win_seq = torch.tensor([w[0] for w in windows])
    win_start = torch.tensor([w[1] for w in windows])
    offsets = torch.arange(WINDOW_STEPS)

    torch.manual_seed(seed + 1)
    out_size = d if autoencoder else 1
    model = Net(cell, d, bidirectional, out_size)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss() if autoencoder else ccc_loss

    def devel_metric():
        model.eval()
        with torch.no_grad():
            x = data[SEQUENCES:SEQUENCES + DEVEL_SEQUENCES]
            pred = model(x)
            if autoencoder:
                return float(((pred - x) ** 2).mean())
            p, y = pred.flatten(), labels[SEQUENCES:SEQUENCES + DEVEL_SEQUENCES].flatten()
            mp, my = p.mean(), y.mean()
            return float(2 * ((p - mp) * (y - my)).mean() / (p.var(unbiased=False) + y.var(unbiased=False) + (mp - my) ** 2))

    def epoch():
        model.train()
        order = torch.randperm(len(windows), generator=gen)
        total, batches = 0.0, 0
        for first in range(0, len(windows), BATCH):
            idx = order[first:first + BATCH]
            rows = win_seq[idx][:, None]
            cols = win_start[idx][:, None] + offsets[None, :]
            x = data[rows, cols]                                     # [b, 300, D]
            y = x if autoencoder else labels[rows, cols]             # [b, 300, out]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        devel_metric()
        return total / batches

    epoch()                                                          # warm-up
    seconds, cpu, loss = 0.0, 0.0, 0.0
    for _ in range(epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        loss = epoch()
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    epoch_seconds, epoch_cpu = seconds / epochs, cpu / epochs

    model.eval()
    runs = []
    for _ in range(INFERENCE_RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        with torch.no_grad():
            for first in range(0, INFERENCE_SEQUENCES, INFERENCE_BATCH):
                x = data[first:first + INFERENCE_BATCH]
                out = model(x)
                if autoencoder:
                    ((x - out) ** 2).mean(dim=-1)
        runs.append((time.perf_counter() - start, time.process_time() - cpu_start))
    infer_seconds, infer_cpu = sorted(runs)[INFERENCE_RUNS // 2]
    train_flops, infer_flops = flop_counts(cell, d, bidirectional, out_size, len(windows))

    return {
        "config": config_name(cell, d, bidirectional, autoencoder),
        "threads": threads, "epochs": epochs, "windows": len(windows), "batch": BATCH,
        "epoch_seconds": round(epoch_seconds, 3), "epoch_cpu_seconds": round(epoch_cpu, 3),
        "train_gflop_per_epoch": round(train_flops / 1e9, 1),
        "train_gflops": round(train_flops / epoch_seconds / 1e9, 1),
        "train_cpu_gflops": round(train_flops / epoch_cpu / 1e9, 1),
        "inference_steps_per_second": round(INFERENCE_SEQUENCES * SEQUENCE_STEPS / infer_seconds),
        "inference_seconds": round(infer_seconds, 3), "inference_cpu_seconds": round(infer_cpu, 3),
        "inference_gflops": round(infer_flops / infer_seconds / 1e9, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "last_epoch_loss": round(loss, 5),
        "torch": torch.__version__,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--input-size", type=int)
    p.add_argument("--cell", choices=["gru", "lstm"])
    p.add_argument("--unidirectional", action="store_true")
    p.add_argument("--autoencoder", action="store_true")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.threads < 1 or a.epochs < 1 or (a.input_size is not None and a.input_size < 1):
        p.error("--threads, --epochs and --input-size must be at least 1")
    torch.set_num_threads(a.threads)
    single = a.input_size is not None or a.cell is not None or a.unidirectional or a.autoencoder
    if single:
        configs = [(a.cell or "gru", a.input_size or 89, not a.unidirectional, a.autoencoder)]
    else:
        configs = [("gru", 89, True, False), ("gru", 4097, True, False), ("gru", 89, True, True),
                   ("lstm", 89, True, False), ("gru", 89, False, False)]
    for cell, d, bidirectional, autoencoder in configs:
        print(json.dumps(run(cell, d, bidirectional, autoencoder, a.threads, a.epochs, a.seed)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
