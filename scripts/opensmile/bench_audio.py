"""The recordings of the README's speed table: two 5.45 min (327 s) espeak-ng recordings at 16 kHz.

  python3 scripts/opensmile/bench_audio.py OUTDIR     # writes OUTDIR/a1.wav, OUTDIR/a2.wav

Sentences of 5-14 random words (fixed seed) with pauses between them, espeak-ng's default voice at
170 and 190 words per minute, converted to 16-bit 16 kHz mono and cut to 327 s with sox (-R: repeatable dither). Needs
espeak-ng and sox (apt-get install espeak-ng sox); the Python standard library only.
"""
import os
import random
import subprocess
import sys
import tempfile

WORDS = ("the quick brown fox jumps over a lazy dog while seven engineers measure speech features on a "
         "shared machine every afternoon and nobody knows why the results vary so much from one run to the next").split()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(3)
    texts = []
    for _ in (1, 2):
        texts.append("\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))) + "." for _ in range(330)))
    with tempfile.TemporaryDirectory() as tmp:
        for n, text in enumerate(texts, start=1):
            txt, raw = os.path.join(tmp, f"t{n}.txt"), os.path.join(tmp, f"raw{n}.wav")
            with open(txt, "w") as f:
                f.write(text)
            subprocess.run(["espeak-ng", "-f", txt, "-s", str(150 + 20 * n), "-w", raw], check=True)
            subprocess.run(["sox", "-R", "-V1", raw, "-r", "16000", "-b", "16", "-c", "1", os.path.join(out, f"a{n}.wav"), "trim", "0", "327"],
                           check=True)
            print(os.path.join(out, f"a{n}.wav"))


if __name__ == "__main__":
    main()
