"""The quick benchmark suite end to end with the real models: it must produce a well-formed JSON, a Markdown report
and four PNG plots. The numbers themselves are not asserted here (they depend on the machine); the harness's
arithmetic is covered by tests/unit/test_bench_harness.py."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    from benchmarks.harness import run_bench

    out = tmp_path_factory.mktemp("bench")
    started = time.perf_counter()
    report = run_bench("quick", out_dir=out)
    print(f"quick suite: {time.perf_counter() - started:.0f} s")
    return report


def test_quick_suite_writes_json_markdown_and_plots(quick_report):
    out = quick_report.parent
    results_file = quick_report.with_suffix(".json")
    assert quick_report.suffix == ".md" and results_file.exists()
    results = json.loads(results_file.read_text())

    assert results["schema"] == "parley-bench/1" and results["suite"] == "quick"
    assert set(results["systems"]) == {"parley", "naive-baseline"}
    for name, summary in results["systems"].items():
        assert summary["failed"] == 0, [s["error"] for s in results["scores"] if s["system"] == name]
        assert summary["accuracy"]["wer"] is not None and 0 <= summary["accuracy"]["wer"] <= 1
        assert "collar=0.25" in summary["accuracy"]["der"]
        assert summary["speed"]["rtf_per_stage"]["asr"] > 0
        assert summary["peak_rss_mb"] > 100
    assert results["comparison"]["calls"] == len(results["calls"])
    assert results["cost"]["parley"]["usd_per_audio_hour"] > 0
    assert all(p["source_url"].startswith("https://") for p in results["prices"])

    text = quick_report.read_text()
    assert "## Parley vs the naive baseline" in text and "| WER (pooled) |" in text
    pngs = sorted(out.glob("*-plots/*.png"))
    assert len(pngs) == 4
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 5_000
        assert png.name in text
