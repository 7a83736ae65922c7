"""Name and phrase pools, each split into dev and test halves (even positions dev, odd positions test).

A "|" marks where a compound name breaks when ASR hears it as two words ("Bright|wave" is written
"Brightwave" and may be heard "Bright wave"); `display()` removes it.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Dana", "Marcus", "Priya", "Tom", "Elena", "Kwame", "Sofia", "Liam", "Aisha", "Daniel", "Mei", "Carlos",
    "Hannah", "Omar", "Grace", "Victor", "Nina", "Jamal", "Laura", "Ben", "Rosa", "Ethan", "Yuki", "Patrick",
    "Claire", "Andre", "Fatima", "Greg", "Ingrid", "Raj", "Megan", "Felix", "Tanya", "Hugo", "Leah", "Sean",
)
LAST_NAMES = (
    "Reyes", "Baker", "Okafor", "Lindqvist", "Moreno", "Chen", "Patel", "Fischer", "Novak", "Walsh", "Tanaka",
    "Duarte", "Kowalski", "Brennan", "Haddad", "Morgan", "Sorensen", "Adeyemi", "Costa", "Harper", "Iversen",
    "Nakamura", "Romero", "Whitfield", "Abbott", "Delgado", "Keller", "Osei", "Fontaine", "Gallagher",
    "Mercer", "Larsen", "Quinn", "Sandoval", "Thornton", "Vasquez",
)
COMPANIES = (
    "Bright|wave Foods", "North|wind Logistics", "Acme Freight", "Blue|harbor Health", "Stone|bridge Capital",
    "Green|field Dental", "Silver|line Insurance", "Oak|ridge Manufacturing", "Red|rock Solar",
    "Clear|water Analytics", "Pine|crest Realty", "Iron|gate Security", "Sun|peak Travel", "Maple|leaf Retail",
    "Harbor|light Media", "Fox|glove Pharmacy", "Cedar|point Legal", "Gold|finch Bakery", "River|stone Homes",
    "Wind|mill Energy", "Copper|field Mining", "Star|light Events", "Lake|view Clinics", "Summit Payroll",
)
COMPETITORS = (
    "Gong", "Hub|Spot", "Chorus", "Sales|force", "Pipe|drive", "Out|reach", "Sales|loft", "Zoho", "Fresh|sales",
    "Fire|flies", "Avoma", "Dial|pad", "Air|call", "Clari", "Otter", "Jiminny", "Modjo", "Zen|desk",
    "Nooks", "Attio",
)
OWN_COMPANIES = ("Parley", "Call|wise", "Talk|track", "Deal|signal", "Voice|ledger", "Quill|call",
                 "Ring|note", "Lead|scribe")
PRODUCT_SUFFIXES = ("Insights", "Coach", "Notes", "Recap", "Sync", "Assist", "Forecast", "Live", "Review", "Pro")
PROBLEMS = (
    "our reps forget to log their calls in the CRM",
    "nobody knows why deals stall after the first call",
    "managers can't listen to every call, so coaching never happens",
    "we spend hours every week typing up call notes",
    "leads fall through the cracks after the demo",
    "our forecasts are guesswork because call data never reaches the CRM",
    "new reps take forever to ramp up",
    "we can't search what customers actually said on calls",
    "follow-up emails go out days late",
    "we have no record of what was promised on calls",
    "compliance keeps asking for call records we don't have",
    "our CRM data is a mess because everything is typed in by hand",
)
TITLES = (
    "operations manager", "head of sales", "sales operations lead", "office manager", "revenue operations analyst",
    "customer success manager", "sales team lead", "marketing manager", "business development manager",
    "regional manager", "inside sales supervisor", "general manager",
)


def display(name: str) -> str:
    return name.replace("|", "")


def half(pool: tuple[str, ...], split: str) -> tuple[str, ...]:
    """The split's half of a pool: even positions are dev, odd positions test."""
    return pool[0::2] if split == "dev" else pool[1::2]
