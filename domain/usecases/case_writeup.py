"""The case an agent opens: summarised (by the model when there is one) and saved on the case."""

from __future__ import annotations

from domain.case_summary import CaseFacts
from domain.usecases.case_wording import CaseWording, summarise_case
from domain.usecases.deps import Deps
from domain.usecases.llm_wording import LlmServices


def write_up_case(deps: Deps, services: LlmServices, case_id: str, facts: CaseFacts) -> CaseWording:
    """Replace the case's first draft with the checked summary (or the deterministic template)."""
    wording = summarise_case(deps, services, facts)
    with deps.backoffice() as office:
        office.cases.set_summary(case_id, wording.text)
        office.commit()
    return wording
