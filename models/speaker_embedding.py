"""CAM++ speaker embeddings as a pyannote.audio `Model`, so that pyannote's `SpeakerDiarization` pipeline can
use them in place of its (hub-only) WeSpeaker model.

pyannote calls an embedding model as `model(waveforms, weights=masks)`: waveforms (batch, 1, samples) at
16 kHz, masks (batch, frames) at the segmentation model's frame rate, 1 where the local speaker is active. We
compute Kaldi-style 80-dim log-mel fbank (what the 3D-Speaker checkpoint was trained on), keep only the fbank
frames where the mask is on, mean-normalise those frames and run CAM++ on them. Selecting frames (instead of
weighting the statistics pooling, as pyannote's own ResNet does) matters for CAM++: its context-aware masks
average over the whole input, so silence and the other speaker would leak into every frame.

torch and pyannote are imported inside `load_campplus_embedding()` only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from models.campplus import EMBEDDING_DIM, FEAT_DIM, build_campplus

SAMPLE_RATE = 16_000
# Fewer active fbank frames (10 ms each) than this give no usable embedding: pyannote gets a NaN row, which its
# clustering drops (and later assigns that chunk-speaker to the nearest centroid anyway).
MIN_ACTIVE_FRAMES = 20
# Shortest waveform that gives MIN_ACTIVE_FRAMES fbank frames (25 ms window, 10 ms shift). pyannote probes the
# shortest accepted input through exceptions (`min_num_samples`) and, with embedding_exclude_overlap, falls back
# to the full mask when the overlap-free part is shorter than that: so unmasked calls below it must raise.
MIN_SAMPLES = 400 + (MIN_ACTIVE_FRAMES - 1) * 160


@lru_cache(maxsize=1)
def _model_class() -> type:
    """Define the pyannote Model subclass on first use (pyannote/lightning are slow, heavy imports)."""
    import torch
    from pyannote.audio import Model
    from torch.nn import functional as F
    from torchaudio.compliance import kaldi

    class CampPlusEmbedding(Model):
        """(batch, 1, samples) 16 kHz waveforms [+ (batch, frames) activity masks] -> (batch, 192)."""

        def __init__(self, sample_rate: int = SAMPLE_RATE, num_channels: int = 1) -> None:
            super().__init__(sample_rate=sample_rate, num_channels=num_channels)
            self.net = build_campplus()

        @property
        def dimension(self) -> int:
            return EMBEDDING_DIM

        def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
            """(samples,) -> (frames, 80) log-mel fbank, Kaldi defaults (25 ms window, 10 ms shift, povey)."""
            return kaldi.fbank(
                waveform.unsqueeze(0),
                num_mel_bins=FEAT_DIM,
                sample_frequency=self.hparams.sample_rate,
                dither=0.0,  # deterministic: the same audio always gives the same embedding
            )

        def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
            if weights is None and waveforms.shape[-1] < MIN_SAMPLES:
                raise ValueError(f"need at least {MIN_SAMPLES} samples, got {waveforms.shape[-1]}")
            out = torch.full((waveforms.shape[0], EMBEDDING_DIM), float("nan"), device=waveforms.device)
            # One item at a time: the active part of each chunk has its own length. On CPU a batch would not be
            # faster anyway (same number of frames through the same convolutions).
            for i, waveform in enumerate(waveforms):
                feats = self.fbank(waveform.mean(dim=0))
                if weights is not None:
                    feats = feats[self._active_frames(weights[i], feats.shape[0])]
                if feats.shape[0] < MIN_ACTIVE_FRAMES:
                    continue
                feats = feats - feats.mean(dim=0, keepdim=True)
                out[i] = self.net(feats.unsqueeze(0))[0]
            return out

        @staticmethod
        def _active_frames(mask: torch.Tensor, num_frames: int) -> torch.Tensor:
            """Resample a segmentation-rate mask (~17 ms frames) to fbank frames (10 ms) -> boolean index."""
            resampled = F.interpolate(mask[None, None].float(), size=num_frames, mode="nearest")[0, 0]
            return resampled > 0.5

    return CampPlusEmbedding


def load_campplus_embedding(checkpoint: Path, *, device: str = "cpu") -> Any:
    """The CAM++ checkpoint (a plain state dict) as a pyannote.audio Model in eval mode on `device`."""
    import torch

    model = _model_class()()
    # weights_only=True: the 3D-Speaker file is a plain tensor dict, so nothing in it may execute code.
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model.net.load_state_dict(state, strict=True)
    return model.eval().to(device)
