"""`parley run | models | doctor | serve` -- the command line. Errors are translated here, at the boundary:
one line `error[<code>]: ...` on stderr and a non-zero exit code; nothing partial is written."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from services.errors import ParleyError
from services.settings import Settings

if TYPE_CHECKING:
    from services.pipeline.options import CallOptions

EXIT_INTERNAL = 1


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temp file beside the target and rename: a crash never leaves a half-written result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def apply_profile(settings: Settings, profile: str) -> Settings:
    """The gpu profile moves ASR/diarization to CUDA in float16 and the LLM to an OpenAI-compatible server
    (vLLM). Values the operator set explicitly through the environment are kept."""
    if profile != "gpu":
        return settings.model_copy(update={"profile": profile})
    explicit = settings.model_fields_set
    asr = settings.asr.model_copy(update={"device": "cuda", "compute_type": "float16"})
    diar = settings.diarization.model_copy(update={"device": "cuda"})
    llm = settings.llm if "llm" in explicit else settings.llm.model_copy(update={"backend": "openai"})
    return settings.model_copy(update={"profile": "gpu", "asr": asr, "diarization": diar, "llm": llm})


# ----------------------------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from services.pipeline.options import CallOptions
    from services.pipeline.run import ModelManager, run_call_detailed
    from services.report import print_summary

    console = Console(stderr=True)
    settings = apply_profile(settings, args.profile)
    if args.asr_model:
        settings = settings.model_copy(update={"models": settings.models.model_copy(update={"asr": args.asr_model})})
    options = CallOptions(
        language=args.language,
        vocabulary=tuple(args.vocabulary or ()),
        competitors=tuple(args.competitors or ()),
        stereo_speakers=args.stereo_speakers,
        diarization=not args.no_diarization,
        num_speakers=args.num_speakers,
        extract_lead=not args.no_lead,
    )
    models = ModelManager(settings)
    # Resolve every model first: a missing or unknown model fails in a second, not after the ASR stage.
    for name in _models_needed(settings, options):
        models.path(name)

    def progress(stage: str, fraction: float, message: str) -> None:
        mark = "[green]done[/]" if fraction >= 1.0 else "[cyan]...[/]"
        console.print(f"  {mark} [bold]{stage:<12}[/] {message}")

    console.print(f"[bold]parley run[/] {args.audio}  (profile {settings.profile})")
    try:
        output = run_call_detailed(Path(args.audio), options, models=models, settings=settings, progress=progress)
    finally:
        models.unload()
    result = output.result
    if args.out:
        _write_atomic(Path(args.out), result.model_dump_json(indent=2))
        console.print(f"wrote {args.out}")
    if args.rttm:
        from services.pipeline.diarize import to_rttm

        _write_atomic(Path(args.rttm), to_rttm(output.diarization, uri=Path(args.audio).stem))
        console.print(f"wrote {args.rttm}")
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print_summary(result, Console())
    return 0


def _models_needed(settings: Settings, options: CallOptions) -> list[str]:
    names = [settings.models.asr, settings.models.ner]
    if options.diarization and not options.stereo_speakers:
        names += [settings.models.segmentation, settings.models.speaker_embedding]
    if options.extract_lead and settings.llm.backend == "llama_cpp":
        names.append(settings.models.llm)
    return names


# -------------------------------------------------------------------------------------------- models


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.table import Table

    from models.manifest import MANIFEST
    from models.registry import check, join_model

    data_dir = settings.models.data_dir
    full = args.action == "verify"
    table = Table(title=f"Parley models ({data_dir})")
    for column in ("name", "task", "source package", "version", "license", "size", "sha256", "status"):
        table.add_column(column, overflow="fold")
    failures = 0
    for spec in MANIFEST:
        status = check(spec, data_dir, full=full)
        if status.status == "not-joined" and getattr(args, "repair", False):
            join_model(spec, data_dir)
            status = check(spec, data_dir, full=full)
        failures += status.status != "ok"
        source = spec.packages[0].requirement() + (f" (+{len(spec.packages) - 1} parts)" if len(spec.packages) > 1 else "")
        colour = "green" if status.status == "ok" else "red"
        table.add_row(
            spec.name,
            spec.task,
            source,
            spec.version,
            spec.license,
            f"{spec.size_bytes / 1e6:.1f} MB",
            spec.sha256[:16] + "…",
            f"[{colour}]{status.status}[/]" + (f" {status.detail}" if status.detail else ""),
        )
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=180)
    console.print(table)
    if full and failures:
        print(f"error[model_verify_failed]: {failures} model(s) not ok (hint: run scripts/setup.sh)", file=sys.stderr)
        return 3
    return 0


# -------------------------------------------------------------------------------------------- doctor


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    import importlib.util
    import shutil

    from models.offline import OFFLINE_ENV, enforce_offline

    enforce_offline()
    checks = [
        ("ffmpeg on PATH", shutil.which("ffmpeg") is not None),
        ("PyAV importable", importlib.util.find_spec("av") is not None),
        ("faster-whisper importable", importlib.util.find_spec("faster_whisper") is not None),
        ("pyannote.audio importable", importlib.util.find_spec("pyannote") is not None),
        ("llama-cpp-python importable", importlib.util.find_spec("llama_cpp") is not None),
        ("pyannote telemetry off", os.environ.get("PYANNOTE_METRICS_ENABLED") == OFFLINE_ENV["PYANNOTE_METRICS_ENABLED"]),
        ("HF hub offline", os.environ.get("HF_HUB_OFFLINE") == "1"),
    ]
    ok = True
    for label, passed in checks:
        ok &= passed
        print(f"  [{'ok' if passed else 'FAIL'}] {label}")
    print(f"  cpu cores: {os.cpu_count()}, data dir: {settings.models.data_dir}")
    return cmd_models(argparse.Namespace(action="list"), settings) or (0 if ok else 1)


# --------------------------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from services.gateway.app import serve

    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if updates:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update=updates)})
    serve(settings)
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from benchmarks.harness import run_bench

    report = run_bench(suite=args.suite, gpu=args.gpu, out_dir=Path(args.out), data_dir=args.data and Path(args.data))
    print(f"wrote {report}")
    return 0


# --------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Self-hosted speech-to-CRM: call audio in, lead out.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="process one call recording")
    run.add_argument("audio", help="audio file: wav, flac, mp3, m4a/aac, ogg/opus, 8 kHz u-law ...")
    run.add_argument("--out", help="write the result JSON here (see README: Result contract)")
    run.add_argument("--rttm", help="write the diarization as RTTM here")
    run.add_argument("--vocabulary", nargs="+", metavar="WORD", help="custom vocabulary (names, products)")
    run.add_argument("--competitors", nargs="+", metavar="NAME", help="competitor names to track (also vocabulary)")
    run.add_argument("--language", help="force a language code, e.g. en; default: detect")
    run.add_argument("--profile", choices=("cpu", "gpu"), default="cpu", help="cpu (default) or gpu")
    run.add_argument("--stereo-speakers", action="store_true", help="stereo file: each channel is one speaker")
    run.add_argument("--num-speakers", type=int, help="known number of speakers")
    run.add_argument("--no-diarization", action="store_true", help="skip diarization (one speaker)")
    run.add_argument("--no-lead", action="store_true", help="skip the LLM lead extraction")
    run.add_argument("--asr-model", help="ASR model: manifest name (whisper-base, whisper-tiny.en) or a folder")
    run.add_argument("--json", action="store_true", help="print the result JSON instead of the summary")
    run.set_defaults(handler=cmd_run)

    models = sub.add_parser("models", help="list or verify the local models")
    models.add_argument("action", choices=("list", "verify"))
    models.add_argument("--repair", action="store_true", help="join split weights that are not joined yet")
    models.set_defaults(handler=cmd_models)

    doctor = sub.add_parser("doctor", help="check the installation")
    doctor.set_defaults(handler=cmd_doctor)

    serve = sub.add_parser("serve", help="HTTP API + embedded workers + webhook dispatcher (see README: Server)")
    serve.add_argument("--host", help="bind address (default PARLEY_API__HOST)")
    serve.add_argument("--port", type=int, help="port (default PARLEY_API__PORT)")
    serve.set_defaults(handler=cmd_serve)

    bench = sub.add_parser("bench", help="accuracy, speed and cost benchmarks (see benchmarks/)")
    bench.add_argument("--suite", choices=("quick", "standard", "full"), default="quick",
                       help="quick: CI harness check; standard: the committed CPU comparison; full: everything")
    bench.add_argument("--gpu", action="store_true", help="gpu profile (run on a GPU machine)")
    bench.add_argument("--data", help="your own folder of audio + references (STM/RTTM/JSON)")
    bench.add_argument("--out", default="benchmarks/results", help="where results and the report go")
    bench.set_defaults(handler=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
        return args.handler(args, settings)
    except ParleyError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error[interrupted]: stopped by the user; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
