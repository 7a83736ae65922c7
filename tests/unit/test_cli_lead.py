"""`parley lead` and the context options of `parley run`, with fake models (no LLM, no spaCy)."""

from __future__ import annotations

import json

import pytest

from services.cli import build_parser, main
from services.errors import ExtractionError
from services.pipeline.lead_context import CallContext
from services.pipeline.nlp import NlpModels
from services.pipeline.transcript_io import parse_transcript_text
from services.pipeline.types import (
    AudioInfo, Bant, BantItem, CallResult, Contact, Entity, Evidence, Lead, NameCorrection,
)

TRANSCRIPT = """\
Rep: Thanks for joining, Dana. What budget do you have?
Customer: We set aside $40,000 for this, and I sign off on it.
Rep: Are you looking at other tools?
Customer: We tried sales force last year.
"""


def _lead() -> Lead:
    stated = BantItem(present=True, status="stated",
                      evidence=(Evidence(utterance_id="u2", quote="We set aside $40,000 for this"),))
    absent = BantItem(present=False, status="absent")
    return Lead(score="warm", confidence=0.8, bant=Bant(budget=stated, authority=stated, need=absent, timeline=absent),
                contact=Contact(name="Dana Reyes", company="Brightwave Logistics"), competitors=("Salesforce",),
                name_corrections=(NameCorrection(field="competitors", heard="sales force", known="Salesforce",
                                                 similarity=100.0),),
                needs_review=True, review_reasons=("need not discussed",))


class _Doc:
    ents = ()


class _Vader:
    def polarity_scores(self, text):
        return {"compound": 0.0}


class FakeModels:
    """Stands in for services.pipeline.run.ModelManager."""

    instances: list[FakeModels] = []
    missing: str | None = None

    def __init__(self, settings):
        self.settings = settings
        self.loaded: list[str] = []
        self.unloaded = False
        FakeModels.instances.append(self)

    def path(self, name):
        if name == FakeModels.missing:
            from services.errors import ModelMissing

            raise ModelMissing(f"model {name} is not installed")
        return name

    @property
    def nlp(self):
        self.loaded.append("nlp")
        return NlpModels(spacy=lambda text: _Doc(), vader=_Vader())

    @property
    def chat(self):
        self.loaded.append("llm")
        return object()

    def unload(self):
        self.unloaded = True


@pytest.fixture
def fakes(monkeypatch):
    import services.pipeline.extract as extract
    import services.pipeline.run as run

    FakeModels.instances = []
    FakeModels.missing = None
    calls: list[dict] = []

    def fake_extract_lead(utterances, chat, settings, *, context=CallContext(), entities=()):
        calls.append({"utterances": utterances, "context": context, "entities": entities})
        return _lead()

    monkeypatch.setattr(run, "ModelManager", FakeModels)
    monkeypatch.setattr(extract, "extract_lead", fake_extract_lead)
    monkeypatch.setenv("PARLEY_LEAD__TRACKED_COMPETITORS", '["HubSpot"]')
    return calls


def test_lead_from_text(tmp_path, capsys, fakes):
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT)
    out = tmp_path / "out" / "lead.json"
    code = main(["lead", str(src), "--out", str(out), "--own-company", "Parley", "--products", "Parley Cloud",
                 "--competitors", "Gong", "Salesforce", "--accounts", "Brightwave Logistics",
                 "--contacts", "Dana Reyes"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert Lead.model_validate_json(out.read_text()) == _lead()
    (call,) = fakes
    assert call["context"] == CallContext(own_company="Parley", products=("Parley Cloud",),
                                          competitors=("Gong", "Salesforce", "HubSpot"),
                                          accounts=("Brightwave Logistics",), contacts=("Dana Reyes",))
    assert [u.id for u in call["utterances"]] == ["u1", "u2", "u3", "u4"]
    assert call["utterances"][1].role == "prospect" and call["utterances"][1].redacted_text  # NER ran
    assert any(e.type == "MONEY" for e in call["entities"])
    (models,) = FakeModels.instances
    assert models.loaded == ["nlp", "llm"] and models.unloaded
    err = captured.err
    for text in ("WARM", "budget", "stated", "$40,000", "[u2]", "Dana Reyes", "Salesforce", "sales force",
                 "NEEDS REVIEW", "need not discussed", "loading the LLM", "asking the model", "wrote"):
        assert text in err, text
    assert captured.out == ""


def test_lead_json_on_stdout(tmp_path, capsys, fakes):
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT)
    assert main(["lead", str(src), "--json"]) == 0
    assert Lead.model_validate_json(capsys.readouterr().out) == _lead()


def test_lead_from_result_json_skips_ner(tmp_path, capsys, fakes):
    utterances, words = parse_transcript_text(TRANSCRIPT)
    entity = Entity(type="ORG", text="sales force", utterance_id="u4", start=1.0, end=1.6, char_start=9,
                    char_end=20)
    result = CallResult(audio=AudioInfo(duration_s=9.0, sample_rate=16000, channels=1), language="en",
                        speakers=(), words=words, utterances=utterances, entities=(entity,), lead=None)
    src = tmp_path / "result.json"
    src.write_text(result.model_dump_json())
    assert main(["lead", str(src)]) == 0, capsys.readouterr().err
    (call,) = fakes
    assert call["entities"] == (entity,) and call["utterances"] == utterances
    assert FakeModels.instances[0].loaded == ["llm"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("Rep: hello\nthis line has no speaker\n", "error[transcript_line_invalid]: line 2"),
        ("", "error[transcript_empty]"),
        ('{"words": 1}', "error[transcript_invalid_result]"),
    ],
)
def test_bad_transcripts_exit_2_and_write_nothing(tmp_path, capsys, fakes, content, code):
    src = tmp_path / "bad.txt"
    src.write_text(content)
    out = tmp_path / "lead.json"
    assert main(["lead", str(src), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(code)
    assert not out.exists() and fakes == []


def test_missing_file_and_argument_errors(tmp_path, capsys, fakes):
    assert main(["lead", str(tmp_path / "nope.txt")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error[transcript_not_found]")
    assert main(["lead"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error[usage]: parley lead:")
    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT)
    assert main(["lead", str(src), "--profile", "tpu"]) == 2
    assert "error[usage]" in capsys.readouterr().err
    assert main(["lead", str(src), "--contacts", "x" * 101]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error[invalid_argument]: --contacts")
    assert fakes == []


def test_model_and_extraction_errors(tmp_path, capsys, fakes, monkeypatch):
    import services.pipeline.extract as extract

    src = tmp_path / "call.txt"
    src.write_text(TRANSCRIPT)
    out = tmp_path / "lead.json"
    from services.settings import Settings

    FakeModels.missing = Settings().models.llm
    assert main(["lead", str(src), "--out", str(out)]) == 3
    assert "error[model_missing]" in capsys.readouterr().err
    FakeModels.missing = None

    def broken(*args, **kwargs):
        raise ExtractionError("the model gave no usable JSON")

    monkeypatch.setattr(extract, "extract_lead", broken)
    assert main(["lead", str(src), "--out", str(out)]) == 4
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error[extraction_failed]")
    assert not out.exists() and FakeModels.instances[-1].unloaded


# ------------------------------------------------------------------------------- parley run options


def test_run_passes_context_to_the_pipeline(tmp_path, capsys, monkeypatch):
    import services.pipeline.run as run

    seen = {}

    def fake_run(audio, options, *, models, settings, progress=None):
        seen["options"] = options
        result = CallResult(audio=AudioInfo(duration_s=1.0, sample_rate=16000, channels=1), language="en",
                            speakers=(), words=(), utterances=(), entities=(), lead=None)
        return run.CallOutput(result=result, diarization=None)

    monkeypatch.setattr(run, "ModelManager", FakeModels)
    monkeypatch.setattr(run, "run_call_detailed", fake_run)
    code = main(["run", str(tmp_path / "a.wav"), "--no-lead", "--json", "--own-company", "Parley",
                 "--products", "Parley Cloud", "--competitors", "Gong", "--accounts", "Brightwave",
                 "--contacts", "Dana Reyes", "Ivan Petrov"])
    assert code == 0, capsys.readouterr().err
    options = seen["options"]
    assert options.competitors == ("Gong",)
    assert options.context == CallContext(own_company="Parley", products=("Parley Cloud",), competitors=("Gong",),
                                          accounts=("Brightwave",), contacts=("Dana Reyes", "Ivan Petrov"))
    assert options.lead_context().competitors == ("Gong",)
    assert json.loads(capsys.readouterr().out)["lead"] is None


def test_help_documents_context_options(capsys):
    for command in ("run", "lead"):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        for option in ("--own-company", "--products", "--competitors", "--accounts", "--contacts"):
            assert option in text
    args = build_parser().parse_args(["lead", "t.txt", "--contacts", "Dana Reyes"])
    assert args.contacts == ["Dana Reyes"] and args.profile == "cpu"
