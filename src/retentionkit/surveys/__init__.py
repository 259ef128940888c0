"""Surveys (issue 15): NPS, CSAT and custom surveys asked through signed per-customer links.

Core package (never imports a face): survey definitions stored in the workspace
(:mod:`.store`), signed links (:mod:`.links`), answers written into the canonical
``survey_responses`` table (:mod:`.answers`), Standard Webhooks verification
(:mod:`.webhooks`), the answer page's translations (:mod:`.i18n`) and one typed request per
operation (:mod:`.service`).
"""

from __future__ import annotations

__all__: list[str] = []
