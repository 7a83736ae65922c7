from __future__ import annotations

from services.pipeline.competitors import merge_competitors, squash, tracked_mentions, used_organisations
from services.pipeline.types import Entity, Utterance


def utt(i: int, text: str) -> Utterance:
    return Utterance(id=f"u{i}", start=i, end=i + 1, speaker="B", role="prospect", text=text)


def org(i: int, text: str, sentence: str, kind: str = "ORG") -> Entity:
    start = sentence.index(text)
    return Entity(type=kind, text=text, utterance_id=f"u{i}", start=i, end=i + 1, char_start=start,
                  char_end=start + len(text))


def test_squash_equates_split_brand_names():
    assert squash("Sales Force.") == squash("Salesforce") == "salesforce"


def test_tracked_names_found_in_prospect_speech_only_as_said():
    prospect = [utt(1, "We run on sales force today."), utt(2, "Gong was too pricey.")]
    assert tracked_mentions(["Salesforce", "Gong", "Zendesk"], prospect) == ["Salesforce", "Gong"]


def test_organisations_need_a_usage_cue():
    s1, s2 = "We're on Oracle right now.", "I read about Oracle in the news."
    ents = [org(1, "Oracle", s1), org(2, "Oracle", s2)]
    assert used_organisations(ents, [utt(1, s1)]) == ["Oracle"]
    assert used_organisations([ents[1]], [utt(2, s2)]) == []


def test_merge_drops_duplicates_and_call_parties():
    merged = merge_competitors(["Salesforce", "Acme Corp"], ["Sales Force", "Oracle"], exclude=["Acme Corp", ""])
    assert merged == ("Salesforce", "Oracle")


def test_said_as_name_needs_a_capital_inside_a_sentence_and_no_numbers() -> None:
    from services.pipeline.competitors import said_as_name
    from services.pipeline.types import Utterance

    said = [Utterance(id="u1", start=0, end=1, speaker="B", text="Twenty-five users. Doesn't Modjo do this too? "
                      "We keep other vendor quotes. HubSpot was fine.")]
    assert said_as_name("Modjo", said)
    assert said_as_name("HubSpot", said)  # sentence start, but an inner capital
    assert not said_as_name("Twenty-five users", said)
    assert not said_as_name("Other Vendor", said)  # said in lower case
    assert not said_as_name("Zendesk", said)  # not said at all


def test_a_platform_the_product_runs_on_is_not_a_competitor() -> None:
    # "The Chrome extension throws an error" offered "Chrome extension" (dev seed 5, a support call).
    assert merge_competitors(["Chrome extension", "Gong"], ["Windows", "Android app", "Chorus"], []) == (
        "Gong", "Chorus")
