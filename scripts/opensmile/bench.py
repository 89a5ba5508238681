"""Speed: `emofuse features` vs the `opensmile` Python package on the same files and windows.

  python3 scripts/opensmile/bench.py [--emofuse .build/release/emofuse] WAV ...

Measures CPU time (user+system; single-threaded runs, so CPU time ~ one core's time) for
  python  segments: Smile.process_signal on each 2 s window (hop 0.5 s), as for a list of segments
  python  stream:   one Smile call per file, frameMode=list over the same windows
  emofuse segments / stream: `emofuse features --threads 1` (EMOFUSE_OPENSMILE set, so no `pip show`)
and prints hours of audio per CPU-minute and the real-time factor. CPU time, not wall time,
because the development machine is shared; the figures still vary with its load.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import opensmile_reference as ref  # noqa: E402
import opensmile  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def report(name, audio_s, cpu_s):
    print(f"{name:18s} {audio_s / 60:7.2f} min audio  {cpu_s:8.2f} s CPU  "
          f"{audio_s / 3600 / (cpu_s / 60):6.2f} h audio per CPU-minute  ({audio_s / cpu_s:6.1f}x real time per core)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emofuse", default=os.path.join(ROOT, ".build", "release", "emofuse"))
    ap.add_argument("--skip-python-segments", action="store_true")
    ap.add_argument("wavs", nargs="+")
    a = ap.parse_args()
    audio = 0.0
    data = []
    for w in a.wavs:
        x, sr = ref.read_wav_int16(w)
        data.append((w, x, sr))
        audio += len(x) / sr
    lib = os.path.join(os.path.dirname(opensmile.__file__), "core", "bin", "manylinux_2_17_x86_64", "libSMILEapi.so")
    env = dict(os.environ, EMOFUSE_OPENSMILE=lib)
    for mode in ("stream", "segments"):
        with tempfile.TemporaryDirectory() as out:
            c0, t0 = children_cpu(), time.time()
            subprocess.run([a.emofuse, "features", "--audio", *a.wavs, "--out", out, "--threads", "1",
                            "--mode", mode, "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
            report(f"emofuse {mode}", audio, children_cpu() - c0)
    for mode in ("stream", "segments"):
        if mode == "segments" and a.skip_python_segments:
            continue
        c0 = time.process_time()
        for _, x, sr in data:
            ref.egemaps(x, sr, 2.0, 0.5, mode)
        report(f"python {mode}", audio, time.process_time() - c0)


if __name__ == "__main__":
    main()
