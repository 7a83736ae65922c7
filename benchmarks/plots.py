"""PNG plots for the report, drawn from the results JSON alone (matplotlib, Agg backend, imported on use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"parley": "#1f77b4", "naive-baseline": "#ff7f0e"}
STAGE_ORDER = ("decode", "asr", "diarization", "alignment", "nlp", "extraction")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_by_condition(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    systems = list(results["systems"])
    conditions = sorted({c for s in results["systems"].values() for c in s["by_condition"]})
    fig, axes = plt.subplots(1, 2, figsize=(12, max(3.0, 0.55 * len(conditions) + 1.5)), sharey=True)
    height = 0.8 / max(len(systems), 1)
    for ax, metric, label in ((axes[0], "wer", "WER"), (axes[1], "der", "DER (collar 0.25 s)")):
        for i, system in enumerate(systems):
            by = results["systems"][system]["by_condition"]
            values = [(by.get(c) or {}).get(metric) for c in conditions]
            ys = [k + i * height for k in range(len(conditions))]
            ax.barh(ys, [v if v is not None else 0 for v in values], height=height, label=system,
                    color=COLOURS.get(system))
            for y, v in zip(ys, values):
                ax.text(v or 0, y, " n/a" if v is None else f" {v:.1%}", va="center", fontsize=7)
        ax.set_xlim(0, 1.2 * max([ax.get_xlim()[1], 0.01]))
        ax.set_title(label)
        ax.set_xlabel("error rate (lower is better)")
        ax.set_yticks([k + height * (len(systems) - 1) / 2 for k in range(len(conditions))])
        ax.set_yticklabels(conditions, fontsize=8)
        ax.invert_yaxis()
    axes[1].legend(fontsize=8, loc="lower right")
    fig.suptitle("Accuracy per condition")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def rtf_per_stage(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    systems = list(results["systems"])
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.8 * len(systems)))
    cmap = plt.get_cmap("tab10")
    labelled: set[str] = set()
    for row, system in enumerate(systems):
        rtf = results["systems"][system]["speed"]["rtf_per_stage"]
        left = 0.0
        for k, stage in enumerate(STAGE_ORDER):
            if stage in rtf:
                ax.barh(row, rtf[stage], left=left, color=cmap(k), label=None if stage in labelled else stage)
                labelled.add(stage)
                if rtf[stage] > 0.02:
                    ax.text(left + rtf[stage] / 2, row, f"{rtf[stage]:.2f}", ha="center", va="center", fontsize=7)
                left += rtf[stage]
    ax.set_yticks(range(len(systems)))
    ax.set_yticklabels(systems)
    ax.set_xlabel("real-time factor (processing s per audio s; extraction over the calls that ran it)")
    ax.set_title("RTF per stage")
    ax.legend(fontsize=8, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _self_hosted_bars(results: dict[str, Any]) -> list[tuple[str, float]]:
    bars = []
    cost = results.get("cost", {})
    for system, c in cost.items():
        if c.get("usd_per_audio_hour") is not None:
            bars.append((f"{system} (self-hosted, no LLM)", c["usd_per_audio_hour"]))
        if c.get("usd_per_audio_hour_with_extraction") is not None:
            bars.append((f"{system} (self-hosted, with LLM lead)", c["usd_per_audio_hour_with_extraction"]))
    return bars


def cost_vs_apis(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    rows = _self_hosted_bars(results)
    for p in results.get("prices", []):
        rows.append((f"{p['provider']} {p['product']}" + (" *" if p["unknown_features"] else ""),
                     p["feature_set_usd_per_hour"]))
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.45 * len(rows)))
    colours = ["#2ca02c" if "self-hosted" in label else "#7f7f7f" for label, _ in rows]
    ax.barh(range(len(rows)), [v for _, v in rows], color=colours)
    for i, (_, v) in enumerate(rows):
        ax.text(v, i, f" ${v:.3f}", va="center", fontsize=8)
    ax.set_xlim(0, 1.2 * max(v for _, v in rows))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    hw = results.get("hardware", {})
    ax.set_xlabel(
        f"USD per audio hour. Self-hosted: {hw.get('name', '?')}, ${hw.get('usd_per_hour', 0):.4g}/h, "
        f"{results.get('utilisation', 0):.0%} utilisation, hardware only.\nAPIs: list price incl. diarization, PII, "
        "sentiment, entities add-ons; * = some add-ons not priced in the sources (counted as 0).", fontsize=8)
    ax.set_title("Cost per audio hour: self-hosted vs managed API list prices")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cost_vs_utilisation(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    for system, c in results.get("cost", {}).items():
        for key, style, label in (("curve", "-", "no LLM"), ("curve_with_extraction", "--", "with LLM lead")):
            if c.get(key):
                xs, ys = zip(*c[key])
                ax.plot(xs, ys, style, marker="o", color=COLOURS.get(system), label=f"{system} ({label})")
    for p in results.get("prices", []):
        ax.axhline(p["feature_set_usd_per_hour"], color="#7f7f7f", lw=0.8, ls=":")
        ax.text(0.1, p["feature_set_usd_per_hour"], f"{p['provider']} {p['product']}", fontsize=7, va="bottom",
                color="#555555")
    ax.set_yscale("log")
    ax.set_xlabel("utilisation (fraction of paid hours with calls to process)")
    ax.set_ylabel("USD per audio hour (log)")
    ax.set_title("Self-hosted cost vs utilisation, against API list prices")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_all(results: dict[str, Any], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "accuracy": accuracy_by_condition(results, folder / "accuracy_by_condition.png"),
        "rtf": rtf_per_stage(results, folder / "rtf_per_stage.png"),
        "cost": cost_vs_apis(results, folder / "cost_vs_apis.png"),
        "utilisation": cost_vs_utilisation(results, folder / "cost_vs_utilisation.png"),
    }
