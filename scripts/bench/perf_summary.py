#!/usr/bin/env python3
"""Summarises a `perf record -g` profile of `emofuse bench train` by phase and by kind of work.

Reads `perf script -F tid,ip,sym,dso` output, demangled (`| swift demangle --simplified`), on
stdin. Every sample is given a phase by its call stack (the training loop `Trainer.train`, which
includes the warm-up epoch and the devel scoring after every epoch; `Inference` outside it; the
GEMM peak measurement `GemmPeak`; the rest) and a kind by its innermost frame (GEMM micro-kernel,
GEMM packing, gate kernels, dropout, …; see KINDS). Prints a Markdown table of each phase's
samples by kind, the CPU time sampled on each of its busiest threads (a thread waiting
asleep is not sampled), and the phase's most sampled functions.

With `--bench FILE` (the JSON line `emofuse bench train` printed in the profiled run), for a
one-thread run it also prints the training loop's CPU time in the GEMM micro-kernel per epoch and the rate the GEMMs
reach inside it: CPU seconds per epoch × the micro-kernel's share of the loop's samples (page
faults left out: they come from the warm-up epoch's first touch of its buffers), and the epoch's
GEMM FLOPs (its counted FLOPs less the gate kernels' share) per CPU second of that time; for
more threads, the idle share of the threads' wall time (1 − CPU seconds / (threads × wall)).
"""
import argparse
import collections
import json
import re
import sys

# (kind, test on the innermost user-space frame's demangled name), first match wins.
KINDS = [
    ("GEMM micro-kernel", re.compile(r"avx512Kernel|\bkernel[1-6]\(|gemmTile|microKernel")),
    ("GEMM packing", re.compile(r"\bpack[A-Z]|packed|Packing")),
    ("gate kernels", re.compile(r"GRUKernels|LSTMKernels")),
    ("dropout", re.compile(r"Dropout|RandomSource|xoshiro|jumped")),
    ("waiting for the other thread", re.compile(r"ChunkProgress|sched_yield|__lll_lock|futex|pthread_cond|_dispatch_|dispatch_")),
    ("loss, head, bias sums", re.compile(r"Loss|sequenceLoss|Linear\.|addColumnSums|addRow|ccc|concordance")),
    ("Adam", re.compile(r"adam|Adam")),
    ("batch assembly", re.compile(r"TrainingBatch|SequenceBatch|zeroPaddedRows")),
    ("memset / memcpy", re.compile(r"__mem|memset|memcpy|memmove")),
]
PHASES = [("training loop", "Trainer.train"), ("inference", "Inference."), ("GEMM peak", "GemmPeak")]


def samples(stream):
    """Yields (tid, [(symbol, dso), …] innermost first) per sample."""
    tid, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if tid is not None:
                yield tid, frames
            tid, frames = None, []
        elif not line.startswith("\t") and not line.startswith(" " * 4):
            tid, frames = line.split()[0], []
        else:
            m = re.match(r"\s*[0-9a-f]+ (.*) \(([^()]*)\)\s*$", line)
            if m:
                frames.append((m.group(1), m.group(2)))
    if tid is not None:
        yield tid, frames


def classify(frames):
    names = " | ".join(s for s, _ in frames)
    phase = next((p for p, key in PHASES if key in names), "other")
    if frames and "kernel.kallsyms" in frames[0][1]:
        if "page_fault" in names:
            return phase, "page faults (kernel)", frames[0][0]
        if re.search(r"sched_yield|futex", names):
            return phase, "waiting for the other thread", frames[0][0]
        return phase, "kernel (other)", frames[0][0]
    leaf = frames[0][0] if frames else "?"
    leaf = re.sub(r"\+0x[0-9a-f]+$", "", leaf)
    for kind, test in KINDS:
        if test.search(leaf):
            return phase, kind, leaf
    return phase, "other", leaf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", help="the JSON line `emofuse bench train` printed in the profiled run")
    ap.add_argument("--title", default="profile")
    ap.add_argument("--frequency", type=float, default=1999,
                    help="the sampling frequency perf record ran with (-F), to turn samples into seconds")
    args = ap.parse_args()
    by_kind = collections.defaultdict(collections.Counter)
    by_thread = collections.defaultdict(collections.Counter)
    by_symbol = collections.defaultdict(collections.Counter)
    for tid, frames in samples(sys.stdin):
        phase, kind, leaf = classify(frames)
        by_kind[phase][kind] += 1
        by_thread[phase][tid] += 1
        by_symbol[phase][leaf[:90]] += 1
    if not by_kind:
        sys.exit("perf_summary.py: no samples on stdin (is it `perf script` output?)")

    print(f"### {args.title}\n")
    kinds = [k for k, _ in KINDS] + ["page faults (kernel)", "kernel (other)", "other"]
    phases = [p for p, _ in PHASES if p in by_kind] + (["other"] if "other" in by_kind else [])
    print("| kind | " + " | ".join(phases) + " |")
    print("|---|" + "---|" * len(phases))
    for kind in kinds:
        if any(by_kind[p][kind] for p in phases):
            cells = [f"{100 * by_kind[p][kind] / sum(by_kind[p].values()):.1f}%" for p in phases]
            print(f"| {kind} | " + " | ".join(cells) + " |")
    print("| samples | " + " | ".join(str(sum(by_kind[p].values())) for p in phases) + " |\n")
    for p in phases:
        threads = by_thread[p].most_common()
        total = sum(c for _, c in threads)
        shares = ", ".join(f"{c / args.frequency:.2f} s" for _, c in threads[:4])
        top = "; ".join(f"{s} {100 * c / total:.1f}%" for s, c in by_symbol[p].most_common(5))
        print(f"- {p}: CPU time sampled on its busiest threads {shares}; most sampled: {top}")

    if args.bench:
        bench = json.loads(open(args.bench).read())
        if bench["threads"] > 1:
            # Worker threads' stacks do not reach Trainer.train (they start in the thread pool), so
            # their samples carry no phase; the loop's share of GEMM is then the main thread's only.
            print(f"- {bench['config']}, {bench['threads']} threads: {bench['epoch_seconds']:.3f} s per epoch, "
                  f"{bench['epoch_cpu_seconds']:.3f} CPU s, idle {100 * (1 - bench['epoch_cpu_seconds'] / (bench['threads'] * bench['epoch_seconds'])):.0f}% "
                  f"of the threads' wall time (worker threads' samples are under \"other\": their stacks carry no phase)\n")
            return
        loop = by_kind["training loop"]
        counted = sum(loop.values()) - loop["page faults (kernel)"]
        gemm_share = loop["GEMM micro-kernel"] / counted
        cpu = bench["epoch_cpu_seconds"]
        gemm_cpu = cpu * gemm_share
        gemm_gflop = bench["train_gflop_per_epoch"] * (1 - bench.get("gate_share_of_flops", 0))
        print(f"- training loop ({bench['config']}, {bench['threads']} thread(s)): "
              f"{bench['epoch_seconds']:.3f} s per epoch, {cpu:.3f} CPU s; the GEMM micro-kernel has "
              f"{100 * gemm_share:.1f}% of the loop's samples (page faults left out) = {gemm_cpu:.3f} CPU s "
              f"per epoch, in which the epoch's {gemm_gflop:.1f} GFLOP of GEMMs run at "
              f"{gemm_gflop / gemm_cpu:.1f} GFLOP per CPU second (`bench gemm` best in the same process: "
              f"{bench['gemm_peak_cpu_gflops']:.1f}); everything else {cpu - gemm_cpu:.3f} CPU s per epoch")
    print()


if __name__ == "__main__":
    main()
