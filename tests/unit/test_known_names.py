"""Known-name snapping (services/pipeline/known_names.py): near misses snap, different names never do."""

from __future__ import annotations

import pytest

from services.pipeline.known_names import fold, normalise, similarity, snap_lead, snap_name
from services.pipeline.lead_context import CallContext
from services.pipeline.types import Bant, BantItem, Contact, Lead, NameCorrection


def _lead(**kw) -> Lead:
    item = BantItem(present=False, status="absent")
    base = {
        "score": "warm", "confidence": 0.7, "bant": Bant(budget=item, authority=item, need=item, timeline=item),
        "contact": Contact(),
    }
    return Lead(**{**base, **kw})


CTX = CallContext(
    own_company="Parley Systems",
    products=("Parley Cloud", "Parley Insights"),
    competitors=("Salesforce", "Gong", "Chorus.ai", "HubSpot"),
    accounts=("Brightwave Logistics",),
    contacts=("Dana Reyes", "Ivan Petrov"),
)


# ------------------------------------------------------------------------------------------ folding


def test_normalise_and_fold():
    assert normalise("  Acme, Inc. ") == "acme"
    assert normalise("Café Noir GmbH") == "cafe noir"
    assert normalise("O'Neil & Sons") == "oneil sons"
    assert normalise("Chorus.ai") == "chorus"
    assert normalise("Inc") == "inc"  # a suffix alone is the name
    assert fold("sales force") == fold("Salesforce") == "salesforce"


@pytest.mark.parametrize(
    ("heard", "known"),
    [
        ("sales force", "Salesforce"),
        ("SALESFORCE", "Salesforce"),
        ("Bright wave Logistics", "Brightwave Logistics"),
        ("Brightwave Logistic", "Brightwave Logistics"),
        ("Brightwave Logistics, Inc.", "Brightwave Logistics"),
        ("Dana Reyez", "Dana Reyes"),
        ("Reyes, Dana", "Dana Reyes"),
        ("Hub Spot", "HubSpot"),
        ("Chorus", "Chorus.ai"),
        ("gong", "Gong"),
    ],
)
def test_near_misses_snap(heard, known):
    hit = snap_name(heard, [known, "Zendesk", "Ivan Petrov"])
    assert hit is not None and hit[0] == known and 88 <= hit[1] <= 100


@pytest.mark.parametrize(
    ("heard", "known"),
    [
        ("Dana Reyes", "Diana Ross"),
        ("Gong", "Gorgias"),
        ("Gonk", "Gong"),  # short: one letter is another company
        ("Zoho", "Zola"),
        ("Salesloft", "Salesforce"),
        ("Freshdesk", "Zendesk"),
        ("Dana", "Dana Reyes"),  # a first name is no evidence for one particular person
        ("Brightwave", "Brightwave Logistics"),
        ("", "Gong"),
    ],
)
def test_different_names_do_not_snap(heard, known):
    assert snap_name(heard, [known]) is None


def test_snap_name_edge_cases():
    assert snap_name("Gong", []) is None
    assert snap_name(None, ["Gong"]) is None
    assert snap_name("Gong", ["", "  "]) is None
    # exact once folded: the known spelling with 100
    assert snap_name("hub spot", ["HubSpot"]) == ("HubSpot", 100.0)
    # the best of several wins
    assert snap_name("Dana Reyez", ["Diana Ross", "Dana Reyes", "Dan Rees"])[0] == "Dana Reyes"
    # two known names equally close: ambiguous, nothing snaps
    assert snap_name("Dana Reyes", ["Dana Reyez", "Dana Reyas"]) is None
    # threshold is a parameter
    assert snap_name("Dana Reyez", ["Dana Reyes"], threshold=95.0) is None


def test_similarity_is_symmetric_enough_and_bounded():
    for a, b in [("sales force", "Salesforce"), ("Dana Reyes", "Diana Ross"), ("Jon Smith", "John Smith")]:
        assert 0 <= similarity(a, b) <= 100
        assert similarity(a, b) == pytest.approx(similarity(b, a))


# ----------------------------------------------------------------------------------------- snap_lead


def test_snap_lead_contact_and_company():
    lead = _lead(contact=Contact(name="Dana Reyez", company="Bright wave Logistics", title="COO",
                                 email="dana@brightwave.example"))
    out = snap_lead(lead, CTX)
    assert out.contact.name == "Dana Reyes" and out.contact.company == "Brightwave Logistics"
    assert out.contact.title == "COO" and out.contact.email == "dana@brightwave.example"
    fields = {c.field: c for c in out.name_corrections}
    assert fields["contact.name"].heard == "Dana Reyez" and fields["contact.name"].known == "Dana Reyes"
    assert 88 <= fields["contact.name"].similarity < 100
    assert fields["contact.company"] == NameCorrection(field="contact.company", heard="Bright wave Logistics",
                                                       known="Brightwave Logistics", similarity=100.0)
    assert lead.contact.name == "Dana Reyez"  # pure: the input is untouched


def test_snap_lead_exact_spelling_records_nothing():
    lead = _lead(contact=Contact(name="Dana Reyes", company="Brightwave Logistics"), competitors=("Gong",))
    assert snap_lead(lead, CTX) == lead


def test_snap_lead_different_names_stay():
    lead = _lead(contact=Contact(name="Diana Ross", company="Northwind Traders"), competitors=("Gorgias",))
    out = snap_lead(lead, CTX)
    assert out.contact.name == "Diana Ross" and out.contact.company == "Northwind Traders"
    assert out.competitors == ("Gorgias",) and out.name_corrections == ()


def test_snap_lead_competitors_snap_drop_and_dedupe():
    lead = _lead(
        contact=Contact(company="Northwind Traders"),
        competitors=("sales force", "Salesforce", "Parley Cloud", "parley systems inc", "Northwind Traders",
                     "Brightwave Logistics", "Chorus", "Zendesk"),
    )
    out = snap_lead(lead, CTX)
    assert out.competitors == ("Salesforce", "Chorus.ai", "Zendesk")
    assert [(c.field, c.heard, c.known) for c in out.name_corrections] == [
        ("competitors", "sales force", "Salesforce"),
        ("competitors", "Chorus", "Chorus.ai"),
    ]


def test_snap_lead_drops_own_company_as_prospect_company():
    lead = _lead(contact=Contact(name="Dana Reyes", company="Parley Systems"), needs_review=True,
                 review_reasons=("low confidence",))
    out = snap_lead(lead, CTX)
    assert out.contact.company is None and out.contact.name == "Dana Reyes"
    assert out.review_reasons[0] == "low confidence" and "vendor's own company" in out.review_reasons[1]


def test_snap_lead_keeps_earlier_corrections_and_empty_context_is_identity():
    earlier = NameCorrection(field="contact.name", heard="x", known="y", similarity=90.0)
    lead = _lead(contact=Contact(name="Ivan Petrof"), name_corrections=(earlier,))
    out = snap_lead(lead, CTX)
    assert out.name_corrections[0] == earlier and out.name_corrections[1].known == "Ivan Petrov"
    assert snap_lead(lead, CallContext()) is lead


def test_snap_lead_result_round_trips_as_json():
    lead = _lead(contact=Contact(name="Dana Reyez"), competitors=("sales force",))
    out = snap_lead(lead, CTX)
    assert Lead.model_validate_json(out.model_dump_json()) == out


def test_competitor_near_miss_snaps_to_the_tracked_list() -> None:
    from services.pipeline.known_names import snap_lead
    from services.pipeline.lead_context import CallContext
    from services.pipeline.types import Bant, BantItem, Contact, Lead

    item = BantItem(present=False)
    lead = Lead(score="cold", confidence=0.9, bant=Bant(budget=item, authority=item, need=item, timeline=item),
                contact=Contact(), competitors=("Choros",))
    snapped = snap_lead(lead, CallContext(competitors=("Chorus", "Gong")))
    assert snapped.competitors == ("Chorus",)
    assert snapped.name_corrections[0].heard == "Choros"
