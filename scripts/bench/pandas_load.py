#!/usr/bin/env python3
"""Times pandas.read_csv on the feature sets of a MuSe-layout dataset.

Usage: scripts/bench/pandas_load.py DIR [--sets a b ...]

Prints one JSON line per feature set and one with "set": "all", with the keys of
`emofuse bench load` (tool, phase, set, files, bytes, seconds, mb_per_s; MB = 10^6 bytes):
phase "first" is read_csv of every subject's file of partition.csv (default C engine, float64)
followed by conversion of the feature columns to a float32 array, as a model would need.
Installs nothing: run `pip install pandas` first if it is missing.
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import pandas as pd
except ImportError:
    sys.exit("pandas is not installed: pip install pandas")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--sets", nargs="*", default=None)
    args = ap.parse_args()
    root = args.data
    ids = pd.read_csv(os.path.join(root, "metadata", "partition.csv"), dtype=str)["Id"].tolist()
    fs_root = os.path.join(root, "feature_segments")
    sets = args.sets or sorted(d for d in os.listdir(fs_root) if os.path.isdir(os.path.join(fs_root, d)))
    total_s, total_b, total_f = 0.0, 0, 0
    for name in sets:
        paths = [os.path.join(fs_root, name, f"{i}.csv") for i in ids]
        nbytes = sum(os.path.getsize(p) for p in paths)
        start = time.perf_counter()
        for p in paths:
            df = pd.read_csv(p)
            _ = df.iloc[:, 2:].to_numpy(dtype=np.float32)
        seconds = time.perf_counter() - start
        total_s += seconds
        total_b += nbytes
        total_f += len(paths)
        emit(name, len(paths), nbytes, seconds)
    emit("all", total_f, total_b, total_s)


def emit(name, files, nbytes, seconds):
    print(json.dumps({"tool": "pandas", "phase": "first", "set": name, "files": files, "bytes": nbytes,
                      "seconds": round(seconds, 4), "mb_per_s": round(nbytes / 1e6 / seconds, 1) if seconds else 0.0,
                      "threads": 1}), flush=True)


if __name__ == "__main__":
    main()
