"""The reference PyTorch module and losses the Swift engine must match.

`Net` has members `rnn` (nn.GRU / nn.LSTM, batch_first=True) and `head` (nn.Linear), so its
state_dict names are the checkpoint names. Padded steps are processed with pack_padded_sequence
(enforce_sorted=False) and their outputs are set to zero, as in the Swift engine.
"""
import json

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# CCC is defined as 0 (loss 1, no gradient) when its denominator is at or below this floor.
CCC_DENOMINATOR_FLOOR = 1e-12


class Net(nn.Module):
    def __init__(self, cell, input_size, hidden_size, num_layers, bidirectional, output_size, dropout=0.0):
        super().__init__()
        rnn_cls = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = rnn_cls(input_size, hidden_size, num_layers, batch_first=True,
                           bidirectional=bidirectional, dropout=dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x, lengths):
        """x: [batch, steps, features] (batch-first), lengths: int64 [batch]. Returns [batch, steps, out], 0 at padding."""
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        y = self.head(out)
        return y * step_mask(lengths, x.shape[1]).unsqueeze(-1).to(y.dtype)


def net_from_config(config):
    """`config`: the NetworkConfig JSON object written by the Swift Checkpoint."""
    return Net(config["cell"], config["inputSize"], config["hiddenSize"], config["numLayers"],
               config["bidirectional"], config["outputSize"], config.get("dropout", 0.0))


def config_json(cell, input_size, hidden_size, num_layers, bidirectional, output_size, dropout=0.0):
    return json.dumps({"cell": cell, "inputSize": input_size, "hiddenSize": hidden_size,
                       "numLayers": num_layers, "bidirectional": bidirectional,
                       "outputSize": output_size, "dropout": dropout}, sort_keys=True)


def step_mask(lengths, steps):
    """[batch, steps] bool, True at valid steps."""
    return torch.arange(steps)[None, :] < lengths[:, None]


def sequence_loss(kind, pred, target, mask):
    """pred, target: [batch, steps, out]; mask: [batch, steps] (1 valid, 0 ignored). Computed in float64.

    ccc: per (sequence, channel) over its valid steps, 1 - 2cov/(var_p + var_y + (mean_p - mean_y)^2)
    with 1/N moments (0 CCC when the denominator <= CCC_DENOMINATOR_FLOOR), averaged over the
    (sequence, channel) pairs with at least one valid step. mse/l1: mean over valid entries.
    """
    p, y = pred.double(), target.double()
    m = mask.double().unsqueeze(-1).expand_as(p)
    if kind == "mse":
        n = m.sum()
        return ((p - y) ** 2 * m).sum() / n if n > 0 else p.sum() * 0
    if kind == "l1":
        n = m.sum()
        return ((p - y).abs() * m).sum() / n if n > 0 else p.sum() * 0
    assert kind == "ccc"
    n = m.sum(dim=1)                      # [batch, out]
    has = n > 0
    ns = torch.where(has, n, torch.ones_like(n))
    mp = (p * m).sum(dim=1) / ns
    my = (y * m).sum(dim=1) / ns
    dp, dy = (p - mp[:, None]) * m, (y - my[:, None]) * m
    vp, vy, cov = (dp * dp).sum(dim=1) / ns, (dy * dy).sum(dim=1) / ns, (dp * dy).sum(dim=1) / ns
    den = vp + vy + (mp - my) ** 2
    ok = den > CCC_DENOMINATOR_FLOOR
    ccc = torch.where(ok, 2 * cov / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(den))
    k = has.sum()
    return ((1 - ccc) * has).sum() / k if k > 0 else p.sum() * 0
