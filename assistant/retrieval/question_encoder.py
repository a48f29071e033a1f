"""The question side of MiniLM, adapted: a low-rank change to its linear layers, for questions only.
Policy units keep MiniLM's own vectors, so no index is rebuilt, and the change is a few hundred KB
beside the answer model (``assistant/answering/answer_model.npz``), fit by ``privacy-assistant train``
to bring the way visitors ask closer to the way policies say it.

Fitting wraps MiniLM's layers (``LowRank``) and switches the change on while it encodes questions; the
service encodes questions with a copy of MiniLM whose weights have the change added (``merged``), as
fast as MiniLM itself.

Imported only where the model is loaded or fit: it needs torch.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from copy import deepcopy

import numpy as np
import torch

# The layers adapted: every linear layer of each transformer block (attention and feed-forward).
ADAPTED = ("query", "key", "value", "dense")


class LowRank(torch.nn.Module):
    """A frozen linear layer plus ``b @ a`` (rank r), added only while a question adapter is active."""

    def __init__(self, base: torch.nn.Linear) -> None:
        super().__init__()
        self.base = base
        self.changes: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.active: str | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.base(x)
        if self.active is None or self.active not in self.changes:
            return out
        a, b = self.changes[self.active]
        return out + (x @ a.T) @ b.T


def low_rank_layers(network: torch.nn.Module) -> dict[str, LowRank]:
    """The network's adapted layers by name, wrapping them in ``LowRank`` the first time."""
    layers: dict[str, LowRank] = {}
    for name, module in list(network.named_modules()):
        for child_name, child in list(module.named_children()):
            path = f"{name}.{child_name}"
            if isinstance(child, LowRank):
                layers[path] = child
            elif isinstance(child, torch.nn.Linear) and child_name in ADAPTED and name.startswith("encoder"):
                wrapped = LowRank(child)
                setattr(module, child_name, wrapped)
                layers[path] = wrapped
    return layers


def trainable(layers: Mapping[str, LowRank], rank: int, key: str, seed: int = 0) -> list[torch.nn.Parameter]:
    """Fresh change matrices under ``key``, as fitting starts them: ``a`` random, ``b`` zero, so the
    adapted encoder starts as MiniLM itself."""
    generator = torch.Generator().manual_seed(seed)
    parameters = []
    for layer in layers.values():
        a = torch.nn.Parameter(
            torch.randn(rank, layer.base.in_features, generator=generator) / math.sqrt(layer.base.in_features)
        )
        b = torch.nn.Parameter(torch.zeros(layer.base.out_features, rank))
        layer.changes[key] = (a, b)
        parameters += [a, b]
    return parameters


def merged(network: torch.nn.Module, weights: Mapping[str, np.ndarray]) -> torch.nn.Module:
    """A copy of ``network`` with the change matrices (``<layer>.a`` / ``<layer>.b``) added to its
    weights: the question encoder, run at MiniLM's own speed."""
    encoder = deepcopy(network).eval()
    with torch.no_grad():
        for name in weights:
            if not name.endswith(".a"):
                continue
            path = name.removesuffix(".a")
            layer = encoder.get_submodule(path)
            linear = layer.base if isinstance(layer, LowRank) else layer
            a = torch.from_numpy(np.asarray(weights[name], dtype=np.float32))
            b = torch.from_numpy(np.asarray(weights[f"{path}.b"], dtype=np.float32))
            linear.weight += b @ a
    return encoder


def weights_of(layers: Mapping[str, LowRank], key: str) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for path, layer in layers.items():
        a, b = layer.changes[key]
        found[f"{path}.a"] = a.detach().numpy().copy()
        found[f"{path}.b"] = b.detach().numpy().copy()
    return found


def weights_key(weights: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(weights):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(weights[name], dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


@contextmanager
def adapted(layers: Mapping[str, LowRank], key: str | None) -> Iterator[None]:
    """Within the block, the network encodes as the question encoder ``key`` (None: MiniLM itself). The
    model runs on one thread, so the switch is never seen by another pass."""
    for layer in layers.values():
        layer.active = key
    try:
        yield
    finally:
        for layer in layers.values():
            layer.active = None
