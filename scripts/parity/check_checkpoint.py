"""Swift -> PyTorch: loads a checkpoint written by the Swift `Checkpoint` into the reference module.

    python3 scripts/parity/check_checkpoint.py PATH [IO_PATH]

PATH: the checkpoint (safetensors; NetworkConfig JSON under metadata key "emofuse.network").
IO_PATH (default: PATH with ".safetensors" replaced by ".io.safetensors"): `input` [batch, steps,
features] (batch-first), `lengths` [batch] (float32), `output` [batch, steps, outputs] as computed
by the Swift network (0 at padded steps). The script builds `Net`, loads the tensors with
`load_state_dict(strict=True)`, runs the input and compares with `output`
(|a - b| <= 1e-5 + 1e-4 |b|). If the `safetensors` package is installed, the file is also read
with it, as an independent check of the format. Exit status 0 when everything matches.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_net import net_from_config  # noqa: E402
import st_io  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    path = sys.argv[1]
    io_path = sys.argv[2] if len(sys.argv) == 3 else path[: -len(".safetensors")] + ".io.safetensors"
    tensors, metadata = st_io.load(path)
    try:
        from safetensors.torch import load_file
        official = load_file(path)
        assert set(official) == set(tensors), "the safetensors package sees other tensors"
        for name, t in official.items():
            assert torch.equal(t, tensors[name]), f"the safetensors package reads {name} differently"
        print("safetensors package: reads the file identically")
    except ImportError:
        print("safetensors package not installed: format checked by st_io only")

    config = json.loads(metadata["emofuse.network"])
    net = net_from_config(config).eval()
    net.load_state_dict(tensors, strict=True)
    print(f"{path}: load_state_dict(strict=True) ok, config {config}, "
          f"other metadata keys {sorted(k for k in metadata if k != 'emofuse.network')}")

    io, _ = st_io.load(io_path)
    lengths = io["lengths"].round().long()
    with torch.no_grad():
        out = net(io["input"], lengths)
    expected = io["output"]
    diff = (out - expected).abs()
    ok = bool((diff <= 1e-5 + 1e-4 * expected.abs()).all())
    print(f"outputs {tuple(out.shape)}: max |PyTorch - Swift| = {diff.max().item():.3g} -> {'MATCH' if ok else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
