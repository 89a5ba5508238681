"""Parity: `emofuse features` (Swift, openSMILE's C API) vs the `opensmile` Python package.

  python3 scripts/opensmile/parity.py [--emofuse PATH] [WAV ...]

For each 16-bit WAV (default: the committed fixture Tests/AudioFixtures/speech.wav) and each of
egemaps/stream, egemaps/segments, egemaps-lld, compare/stream, runs `emofuse features` into a temporary dataset and
compares every column with the package's output on the same windows (opensmile_reference.py):
|swift - python| <= 1e-4 * max|python| of that column (and the same empty cells). Prints the
largest relative difference per case; exits 1 on any failure.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import opensmile  # noqa: E402
import opensmile_reference as ref  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    ts = [int(r[0]) for r in body]
    vals = np.array([[float(c) if c != "" else np.nan for c in r[2:]] for r in body])
    return header[2:], ts, vals


def compare(name, cols_s, ts_s, y_s, cols_p, ts_p, y_p, tol):
    if cols_s != list(cols_p):
        return f"{name}: column names differ"
    if ts_s != list(ts_p):
        return f"{name}: timestamps differ ({ts_s[:5]}… vs {list(ts_p)[:5]}…)"
    if y_s.shape != y_p.shape:
        return f"{name}: shape {y_s.shape} vs {y_p.shape}"
    if not np.array_equal(np.isnan(y_s), np.isnan(y_p)):
        return f"{name}: empty cells differ"
    scale = np.nanmax(np.abs(y_p), axis=0)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    rel = np.nan_to_num(np.abs(y_s - y_p)) / scale
    worst = int(np.argmax(rel.max(axis=0)))
    print(f"{name}: {y_s.shape[0]} rows x {y_s.shape[1]} columns, max relative difference "
          f"{rel.max():.3g} (column {cols_s[worst]})")
    return None if rel.max() <= tol else f"{name}: max relative difference {rel.max():.3g} > {tol}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emofuse", default=os.path.join(ROOT, ".build", "release", "emofuse"))
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("wavs", nargs="*", default=[os.path.join(ROOT, "Tests", "AudioFixtures", "speech.wav")])
    a = ap.parse_args()
    failures = []
    for wav in a.wavs:
        x, sr = ref.read_wav_int16(wav)
        rid = os.path.splitext(os.path.basename(wav))[0]
        cases = [("egemaps", "stream", lambda: ref.egemaps(x, sr, 2.0, 0.5, "stream")),
                 ("egemaps", "segments", lambda: ref.egemaps(x, sr, 2.0, 0.5, "segments")),
                 ("egemaps-lld", "stream", lambda: ref.egemaps_lld(x, sr, 0.5)),
                 ("compare", "stream", lambda: ref.egemaps(x, sr, 2.0, 0.5, "stream", opensmile.FeatureSet.ComParE_2016))]
        for feature_set, mode, python in cases:
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([a.emofuse, "features", "--audio", wav, "--out", out, "--set", feature_set,
                                "--mode", mode, "--quiet"], check=True, stdout=subprocess.DEVNULL)
                swift = read_csv(os.path.join(out, "feature_segments", feature_set, rid + ".csv"))
            problem = compare(f"{rid} {feature_set}/{mode}", *swift, *python(), a.tol)
            if problem:
                failures.append(problem)
    for f in failures:
        print("FAIL", f)
    print("parity:", "FAILED" if failures else f"all columns within {a.tol} relative")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
