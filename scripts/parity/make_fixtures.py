"""Generates the PyTorch parity fixtures in Tests/SeqNetTests/Fixtures (run from anywhere).

    python3 scripts/parity/make_fixtures.py [OUTPUT_DIR]

Files (all safetensors, float32; scalars and settings in the string metadata):
- gru.safetensors, lstm.safetensors: a 2-layer bidirectional network (input 7, hidden 8, output 1,
  dropout 0) on a padded batch of 3 sequences (lengths 6, 9, 3: unsorted, enforce_sorted=False).
  Tensors: every initial weight under its state_dict name; `input` [batch, steps, features]
  (BATCH-FIRST as PyTorch has it); `lengths` [batch]; `targets`, `output` [batch, steps, 1]
  (output 0 at padded steps); `gradout.<loss>` = dLoss/dOutput [batch, steps, 1] for ccc, mse, l1;
  `grad.<name>` = dCCCLoss/dParameter; `adam2.<name>` = weights after two Adam(lr=0.01) steps on
  the CCC loss (forward/backward recomputed before the second). Metadata: `loss.<kind>` values
  (repr of the float64 value), `config` (NetworkConfig JSON), `layout`.
- losses.safetensors: `predictions`, `targets` [steps, batch, outputs] TIME-MAJOR and `mask`
  [steps, batch] (holes, an empty sequence, a one-step sequence, a constant target channel);
  `grad.<kind>` = dLoss/dPredictions (time-major); metadata `loss.<kind>`.
- optim.safetensors: Adam (two option sets, three steps with given gradients), clip_grad_norm_,
  ReduceLROnPlateau scenarios (metadata JSON).
- torch_checkpoint.safetensors: a checkpoint made by PyTorch (unidirectional 3-layer LSTM, output 2)
  with the Swift Checkpoint's metadata layout; torch_checkpoint_io.safetensors: an input batch
  (batch-first), its lengths and the PyTorch outputs (batch-first, 0 at padding).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_net import Net, config_json, sequence_loss, step_mask  # noqa: E402
import st_io  # noqa: E402

LOSSES = ("ccc", "mse", "l1")


def network_fixture(cell, out_dir, seed):
    torch.manual_seed(seed)
    batch, steps, features, hidden = 3, 9, 7, 8
    net = Net(cell, features, hidden, 2, True, 1, 0.0)
    lengths = torch.tensor([6, 9, 3], dtype=torch.int64)
    mask = step_mask(lengths, steps)
    x = torch.randn(batch, steps, features) * mask.unsqueeze(-1)
    targets = (torch.randn(batch, steps, 1) * 0.5 + torch.linspace(-0.5, 0.5, steps)[None, :, None]) * mask.unsqueeze(-1)
    tensors = {name: p.detach().clone() for name, p in net.state_dict().items()}
    tensors["input"] = x
    tensors["lengths"] = lengths.float()
    tensors["targets"] = targets
    meta = {"config": config_json(cell, features, hidden, 2, True, 1, 0.0),
            "layout": "input/targets/output/gradout.*: batch-first [batch, steps, features]; "
                      "lengths: float32; output and gradout are 0 at padded steps"}

    out = net(x, lengths)
    tensors["output"] = out.detach().clone()
    for kind in LOSSES:
        o = out.detach().clone().requires_grad_(True)
        loss = sequence_loss(kind, o, targets, mask)
        loss.backward()
        meta[f"loss.{kind}"] = repr(loss.item())
        tensors[f"gradout.{kind}"] = o.grad.detach().clone()

    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for step in range(2):
        opt.zero_grad()
        loss = sequence_loss("ccc", net(x, lengths), targets, mask)
        loss.backward()
        if step == 0:
            smallest = min(p.grad.abs().min().item() for p in net.parameters())
            for name, p in net.named_parameters():
                tensors[f"grad.{name}"] = p.grad.detach().clone()
        opt.step()
    for name, p in net.named_parameters():
        tensors[f"adam2.{name}"] = p.detach().clone()
    path = os.path.join(out_dir, f"{cell}.safetensors")
    st_io.save(path, tensors, meta)
    print(f"{path}: ccc loss {meta['loss.ccc']}, smallest |grad| {smallest:.3g}")


def losses_fixture(out_dir):
    g = torch.Generator().manual_seed(11)
    steps, batch, outputs = 7, 5, 2
    pred = torch.randn(steps, batch, outputs, generator=g)
    targ = torch.randn(steps, batch, outputs, generator=g) * 0.7 + 0.2
    mask = torch.zeros(steps, batch)
    mask[:, 0] = 1                      # full
    mask[:3, 1] = 1                     # prefix of 3
    # column 2: no valid step
    mask[0, 3] = 1                      # one step
    for t in (0, 2, 3, 6):              # holes
        mask[t, 4] = 1
    targ[:, 4, 1] = 0.25                # constant target channel
    pred[2, 0, 0] = targ[2, 0, 0]       # an exact zero difference (L1 sign(0) = 0)
    tensors = {"predictions": pred, "targets": targ, "mask": mask}
    meta = {"layout": "time-major: predictions/targets/grad.* [steps, batch, outputs], mask [steps, batch]"}
    bf = lambda t: t.permute(1, 0, 2)
    for kind in LOSSES:
        p = pred.clone().requires_grad_(True)
        loss = sequence_loss(kind, bf(p), bf(targ), mask.t())
        loss.backward()
        meta[f"loss.{kind}"] = repr(loss.item())
        tensors[f"grad.{kind}"] = p.grad.detach().clone()
    st_io.save(os.path.join(out_dir, "losses.safetensors"), tensors, meta)


def optim_fixture(out_dir):
    g = torch.Generator().manual_seed(5)
    shapes = {"p0": (5, 3), "p1": (37,)}
    init = {k: torch.randn(*s, generator=g) for k, s in shapes.items()}
    grads = [{k: torch.randn(*s, generator=g) * (1.0 if k == "p0" else 1e-3) for k, s in shapes.items()}
             for _ in range(3)]
    tensors = {f"init.{k}": v for k, v in init.items()}
    for i, gs in enumerate(grads):
        for k, v in gs.items():
            tensors[f"g{i + 1}.{k}"] = v
    settings = {"a": dict(lr=1e-3), "b": dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)}
    for tag, kw in settings.items():
        params = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
        opt = torch.optim.Adam(list(params.values()), **kw)
        for i, gs in enumerate(grads):
            for k, p in params.items():
                p.grad = gs[k].clone()
            opt.step()
            for k, p in params.items():
                tensors[f"{tag}.s{i + 1}.{k}"] = p.detach().clone()
    meta = {"adam": json.dumps({tag: {"lr": kw["lr"], "beta1": kw.get("betas", (0.9, 0.999))[0],
                                      "beta2": kw.get("betas", (0.9, 0.999))[1], "eps": kw.get("eps", 1e-8),
                                      "weightDecay": kw.get("weight_decay", 0.0)} for tag, kw in settings.items()})}

    clip_grads = {"q0": torch.randn(4, 5, generator=g), "q1": torch.randn(9, generator=g) * 3}
    for k, v in clip_grads.items():
        tensors[f"clip.grad.{k}"] = v
    clip_meta = {}
    for tag, max_norm in (("small", 0.5), ("large", 100.0)):
        params = {k: torch.nn.Parameter(torch.zeros_like(v)) for k, v in clip_grads.items()}
        for k, p in params.items():
            p.grad = clip_grads[k].clone()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        clip_meta[tag] = {"maxNorm": max_norm, "norm": norm.item()}
        for k, p in params.items():
            tensors[f"clip.{tag}.{k}"] = p.grad.detach().clone()
    meta["clip"] = json.dumps(clip_meta)

    scenarios = []
    metric_runs = {
        "min": [1.0, 0.9, 0.95, 0.9, 0.899, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, float("nan"), 0.4],
        "max": [0.1, 0.2, 0.2, 0.2, 0.2, 0.2005, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    }
    for mode, metrics in metric_runs.items():
        for factor, patience, threshold, min_lr, cooldown in ((0.5, 2, 1e-2, 1e-4, 0), (0.1, 1, 1e-4, 0.0, 2)):
            p = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.SGD([p], lr=0.01)
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=factor, patience=patience,
                                                               threshold=threshold, min_lr=min_lr, cooldown=cooldown)
            lrs = []
            for m in metrics:
                sched.step(m)
                lrs.append(opt.param_groups[0]["lr"])
            scenarios.append({"mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
                              "minLR": min_lr, "cooldown": cooldown, "lr0": 0.01,
                              "metrics": [None if m != m else m for m in metrics], "lrs": lrs})
    meta["plateau"] = json.dumps(scenarios)
    st_io.save(os.path.join(out_dir, "optim.safetensors"), tensors, meta)


def torch_checkpoint(out_dir):
    torch.manual_seed(23)
    cfg = ("lstm", 5, 6, 3, False, 2, 0.0)
    net = Net(*cfg)
    meta = {"emofuse.network": config_json(*cfg), "norm.mean": "[0.5, -1.25]", "label": "arousal"}
    st_io.save(os.path.join(out_dir, "torch_checkpoint.safetensors"), dict(net.state_dict()), meta)
    lengths = torch.tensor([4, 2, 5], dtype=torch.int64)
    x = torch.randn(3, 5, 5) * step_mask(lengths, 5).unsqueeze(-1)
    with torch.no_grad():
        y = net(x, lengths)
    st_io.save(os.path.join(out_dir, "torch_checkpoint_io.safetensors"),
               {"input": x, "lengths": lengths.float(), "output": y},
               {"layout": "batch-first [batch, steps, features]; lengths float32; output 0 at padding"})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "Tests", "SeqNetTests", "Fixtures")
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    network_fixture("gru", out_dir, seed=1)
    network_fixture("lstm", out_dir, seed=2)
    losses_fixture(out_dir)
    optim_fixture(out_dir)
    torch_checkpoint(out_dir)


if __name__ == "__main__":
    main()
