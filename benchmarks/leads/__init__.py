"""Lead evaluation on generated call transcripts, split into dev and test by paraphrase family.

    python -m benchmarks.leads generate --split dev --n 120 --seed 1 --out DIR
    python -m benchmarks.leads run --split test --n 200 --seed 1 --out DIR [--limit N]
    python -m benchmarks.leads report --split test --n 200 --seed 1 --out DIR     # re-render from cached raw/
    python -m benchmarks.leads audio --split test --n 12 --out DIR
"""
