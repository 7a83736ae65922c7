"""Lead evaluation on generated call transcripts, split into dev and test by paraphrase family.

    python -m benchmarks.leads generate --split dev --n 120 --seed 1 --out DIR
    python -m benchmarks.leads run --split test --n 200 --seed 1 --out DIR [--limit N] [--reread | --refinalize]
    python -m benchmarks.leads report --split test --n 200 --seed 1 --out DIR     # re-render from cached raw/
    python -m benchmarks.leads ablate --split test --n 200 --seed 1 --out DIR     # each rule off, cached answers
    python -m benchmarks.leads audio --split test --n 12 --out DIR                # render telephone audio
    python -m benchmarks.leads audio-eval --out DIR [--no-hotwords] [--refinalize]
    python -m benchmarks.leads battery                                            # rules on labelled sentences
    python -m benchmarks.leads battery --model --answers FILE.jsonl               # the LLM, then the rules

Dev material comes from three writers: families.py (dev and test families alternate), families_dev2.py (dev
only, a second writer who saw only the dev families) and battery_sentences.py (sentences from a third writer
who saw no project file, scored by `battery`).
"""
