"""Writes the committed openSMILE parity fixture for the Swift tests (AudioParityTests).

  python3 scripts/opensmile/make_fixture.py [--new-wav]

--new-wav re-synthesises Tests/AudioFixtures/speech.wav with espeak-ng + sox
(3 s, 16 kHz, 16-bit mono; espeak-ng versions differ, so the WAV is committed and only
re-made on purpose). Then, from that WAV, the `opensmile` Python package (2.6.0) computes
the expected features on EmoFuse's grid (window 2 s, hop 0.5 s):
  egemaps-stream.csv, egemaps-segments.csv, egemaps-lld.csv  (timestamp, then the features)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import opensmile_reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "AudioFixtures")
WAV = os.path.join(OUT, "speech.wav")


def new_wav():
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "raw.wav")
        subprocess.run(["espeak-ng", "-w", raw, "-s", "160", "-p", "55",
                        "Please describe why you are the right person for this job."], check=True)
        # 16 kHz, first 3 s, a little noise so that silent stretches are not digital zero
        subprocess.run(["sox", raw, "-r", "16000", "-b", "16", WAV, "trim", "0", "3", "pad", "0", "0@3",
                        "dither", "-s"], check=True)
        subprocess.run(["sox", WAV, os.path.join(d, "t.wav"), "trim", "0", "3"], check=True)
        os.replace(os.path.join(d, "t.wav"), WAV)


def write(name, cols, ts, y):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(["timestamp"] + cols) + "\n")
        for t, row in zip(ts, y):
            f.write(",".join([str(t)] + ["" if np.isnan(v) else repr(float(np.float32(v))) for v in row]) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--new-wav" in sys.argv or not os.path.exists(WAV):
        new_wav()
    x, sr = ref.read_wav_int16(WAV)
    for mode in ("stream", "segments"):
        write(f"egemaps-{mode}.csv", *ref.egemaps(x, sr, 2.0, 0.5, mode))
    write("egemaps-lld.csv", *ref.egemaps_lld(x, sr, 0.5))
    print(f"wrote fixtures for {WAV} ({len(x) / sr:.2f} s at {sr} Hz) to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
