"""Reference features from the `opensmile` Python package, on EmoFuse's grid.

The grid (the one `emofuse features` uses, see Sources/EmoFuse/Audio/FeatureExtraction.swift):
row k has timestamp k*hop (rows while k*hop < duration) and summarises the window centred on it,
[k*hop - window/2, k*hop + window/2) clipped to the recording; egemaps-lld averages the 10 ms
descriptor frames whose start lies in [k*hop - hop/2, k*hop + hop/2).

Modes, as in EmoFuse:
  segments  each window cut out and passed to Smile.process_signal on its own
  stream    the whole recording in one Smile call with openSMILE's frameMode=list over the windows

Imported by make_fixture.py and parity.py; needs `pip install opensmile==2.6.0 numpy`.
"""
import math
import os
import wave

import numpy as np
import opensmile


def read_wav_int16(path):
    """First channel of a 16-bit PCM WAV as int16, and its rate."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: reference script reads 16-bit PCM only")
        n, ch, sr = w.getnframes(), w.getnchannels(), w.getframerate()
        x = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch)[:, 0]
    return x, sr


def grid(duration, window, hop, lld=False):
    rows = max(1, math.ceil(duration / hop - 1e-9))
    half = hop / 2 if lld else window / 2
    out = []
    for k in range(rows):
        c = k * hop
        out.append((int(round(k * hop * 1000)), max(0.0, c - half), min(duration, c + half)))
    return out


def _smile(level, feature_set=opensmile.FeatureSet.eGeMAPSv02, **options):
    return opensmile.Smile(feature_set, level, options=options or None)


def egemaps(x, sr, window, hop, mode, feature_set=opensmile.FeatureSet.eGeMAPSv02):
    """(column names, timestamps, rows x features array) for int16 samples x (eGeMAPSv02: 88; ComParE_2016: 6373)."""
    duration = len(x) / sr
    g = grid(duration, window, hop)
    signal = x.astype(np.float32) / 32768.0  # the package multiplies by 32768 again: same integers
    if mode == "segments":
        smile = _smile(opensmile.FeatureLevel.Functionals, feature_set)
        rows = []
        for _, a, b in g:
            ia, ib = int(round(a * sr)), int(round(b * sr))
            rows.append(smile.process_signal(signal[ia:max(ia, ib)], sr).to_numpy()[0])
        return list(smile.feature_names), [t for t, _, _ in g], np.vstack(rows)
    root = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "shared")
    # openSMILE drops a listed frame that ends after its last descriptor frame: clip as EmoFuse does
    last = math.floor((duration - 0.06) * 100 + 1e-6) / 100
    frame_list = ",".join(f"{min(a, last - 0.01):.4f}s-{min(b, last):.4f}s" for _, a, b in g)
    smile = _smile(opensmile.FeatureLevel.Functionals, feature_set,
                   frameModeFunctionalsConf=os.path.join(root, "FrameModeFunctionalsMulti.conf.inc"),
                   frameList=frame_list)
    y = smile.process_signal(signal, sr).to_numpy()
    if y.shape[0] != len(g):
        raise SystemExit(f"opensmile returned {y.shape[0]} rows for {len(g)} windows")
    return list(smile.feature_names), [t for t, _, _ in g], y


def egemaps_lld(x, sr, hop):
    duration = len(x) / sr
    g = grid(duration, hop, hop, lld=True)
    smile = _smile(opensmile.FeatureLevel.LowLevelDescriptors)
    frames = smile.process_signal(x.astype(np.float32) / 32768.0, sr).to_numpy()
    starts = np.arange(frames.shape[0]) * 0.01
    rows = []
    for _, a, b in g:
        sel = (starts >= a - 1e-9) & (starts < b - 1e-9)
        rows.append(frames[sel].astype(np.float64).mean(axis=0) if sel.any() else np.full(frames.shape[1], np.nan))
    return list(smile.feature_names), [t for t, _, _ in g], np.vstack(rows)
