"""What a call's lead extraction may know in advance: names the team and its CRM already hold.

A sales team knows its own company and products, the competitors it tracks, and (from the CRM record the call
is attached to) the account and contact it expects on the line. These names bias ASR (hotwords) and snap
near-miss spellings in the lead to the known form (services/pipeline/known_names.py); the heard form is kept
on the lead. Nothing here decides a BANT criterion.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallContext:
    own_company: str | None = None
    """The vendor's own company (the rep's side): never the prospect's company, never a competitor."""
    products: tuple[str, ...] = ()
    """The vendor's own product names (never competitors)."""
    competitors: tuple[str, ...] = ()
    """Competitor names the team tracks (merged with settings.lead.tracked_competitors)."""
    accounts: tuple[str, ...] = ()
    """Company names the CRM holds for this call (the prospect's account)."""
    contacts: tuple[str, ...] = ()
    """Person names the CRM holds for this call (the prospect's contacts)."""

    def vocabulary(self) -> tuple[str, ...]:
        """Every known name, once, in order: fed to Whisper as hotwords."""
        names = [self.own_company or "", *self.products, *self.competitors, *self.accounts, *self.contacts]
        return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))

    def merged(self, *, competitors: tuple[str, ...] = ()) -> CallContext:
        """This context with more tracked competitors (settings, CLI) added."""
        return CallContext(
            own_company=self.own_company,
            products=self.products,
            competitors=tuple(dict.fromkeys((*self.competitors, *competitors))),
            accounts=self.accounts,
            contacts=self.contacts,
        )

    @property
    def empty(self) -> bool:
        return not self.vocabulary()
