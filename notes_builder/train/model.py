"""The notes' model, shown verbatim in the PDF's code box."""

import torch
from torch import nn


class SimpleLSTM(nn.Module):
    """LSTM over the window, then two linear layers on the last time step."""

    def __init__(self, n_in: int = 9, hidden: int = 32, dense: int = 20, n_out: int = 1):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, dense)
        self.out = nn.Linear(dense, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, time, n_in) -> logits: (batch, n_out); sigmoid gives P(class 1)
        h, _ = self.lstm(x)
        return self.out(self.dense(h[:, -1]))
