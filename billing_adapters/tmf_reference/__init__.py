"""The TMF reference BSS: the demo operator served over the TM Forum Open APIs, over HTTP.

It stands in for an operator's BSS when ``BSS=tmf`` runs without an operator's own TMF_BASE_URL,
and it is what the TMF adapter's contract tests run against. The data is the SQL reference BSS
(``billing_adapters.sql``, in a database of its own); ``wire`` turns it into TMF JSON; ``gate``
adds what a test needs from a remote system: a bearer token, injected faults (``faults``),
request counts and, in validate mode, a conformance check of every exchange.

Start it with ``uvicorn billing_adapters.tmf_reference.app:app_from_settings --factory``.
"""

from billing_adapters.tmf_reference.config import ReferenceConfig

__all__ = ["ReferenceConfig"]
