"""Shared test set-up: float64 by default, as every check in the suite assumes."""

import torch

torch.set_default_dtype(torch.float64)
