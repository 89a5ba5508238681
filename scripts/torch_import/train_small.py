"""Trains two small sequence regressors in plain PyTorch and exports their state_dicts with
safetensors, as any PyTorch user would (no EmoFuse metadata), plus inputs and PyTorch's outputs,
for the `emofuse import --torch` test (Tests/EmoFuseTests/TorchImportTests.swift).

    pip install torch safetensors
    python3 scripts/torch_import/train_small.py [--out Tests/Fixtures/torch_import]

Writes (a few KB each):
  gru.safetensors          nn.GRU(5, 8, num_layers=2, batch_first=True) as `rnn`, nn.Linear(8, 1) as `head`
  lstm_prefixed.safetensors  a wrapper holding a bidirectional 1-layer nn.LSTM(5, 8) + head as `model.*`
                           (imported with --prefix model.)
  expected.safetensors     x [2, 40, 5] and each model's output [2, 40, 1] (eval mode, float32)
"""
import argparse
import os

import torch
from torch import nn
from safetensors.torch import save_file


class Regressor(nn.Module):
    def __init__(self, cell, input_size, hidden, layers, bidirectional):
        super().__init__()
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(input_size, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class Wrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


def train(model, steps=60):
    """A few Adam steps on a smooth target, so the weights are trained, not just initialised."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 50, 5, generator=g)
    y = torch.cumsum(x[..., :1] * 0.1, dim=1).tanh()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../../Tests/Fixtures/torch_import"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    gru = Regressor("gru", 5, 8, 2, False)
    lstm = Wrapper(Regressor("lstm", 5, 8, 1, True))
    print("gru loss", train(gru), "lstm loss", train(lstm))
    gru.eval()
    lstm.eval()
    x = torch.randn(2, 40, 5, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = {"x": x, "gru": gru(x), "lstm": lstm(x)}
    save_file({k: v.contiguous() for k, v in gru.state_dict().items()}, os.path.join(args.out, "gru.safetensors"))
    save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, os.path.join(args.out, "lstm_prefixed.safetensors"))
    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(args.out, "expected.safetensors"))
    print("wrote", sorted(os.listdir(args.out)), "torch", torch.__version__)


if __name__ == "__main__":
    main()
