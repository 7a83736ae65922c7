#!/usr/bin/env bash
# The test command (README command 2; .ci/run calls exactly this). Installs what is missing (scripts/setup.sh
# is idempotent), starts a throw-away PostgreSQL for the store/API tests, then runs pytest.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not slow"` to skip the real-model tests locally.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PARLEY_VENV:-$ROOT/.venv}"
bash "$ROOT/scripts/setup.sh"
# CI-only packages (chart validation, SBOM): installed once, again only when requirements-ci.txt changes.
if [[ ! -f "$VENV/.parley-ci-installed" ]] || [[ "$ROOT/requirements-ci.txt" -nt "$VENV/.parley-ci-installed" ]]; then
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements-ci.txt"
  touch "$VENV/.parley-ci-installed"
fi
# vLLM extraction path (own venv .venv-vllm, ~6 min from scratch); REQUIRE: tests/integration/test_vllm_real.py must run, not skip
export PARLEY_REQUIRE_VLLM=1; bash "$ROOT/scripts/setup_vllm.sh"
if [[ -f "$ROOT/scripts/start_postgres.sh" && -z "${PARLEY_TEST_PG_DSN:-}" ]]; then
  PARLEY_TEST_PG_DSN="$(bash "$ROOT/scripts/start_postgres.sh" | tail -n 1)"
  export PARLEY_TEST_PG_DSN
fi
cd "$ROOT"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
