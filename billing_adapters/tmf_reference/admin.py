"""The control API a test drives the reference BSS with (behind the same bearer token).

    PUT/GET/DELETE /admin/faults      the fault plan (faults.py); GET shows ``times`` counting down
    POST /admin/reset                 {"seeded_at": "<iso>"} (default now): the demo seed again
    GET/DELETE /admin/stats           requests per "<METHOD> <path template>", rows posted
    GET/DELETE /admin/conformance     validate mode: exchanges checked and their violations
    GET /healthz                      {"status": "ok"}, open to all

Every DELETE answers the state it leaves (the same shape as its GET).
"""

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict

from billing_adapters.tmf_reference.faults import FaultPlan
from billing_adapters.tmf_reference.runtime import ReferenceRuntime, runtime_of
from billing_adapters.tmf_reference.store import reset_reference
from billing_adapters.tmf_reference.wire import iso

Runtime = Annotated[ReferenceRuntime, Depends(runtime_of)]

router = APIRouter()


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seeded_at: AwareDatetime | None = None


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.put("/admin/faults")
def put_faults(runtime: Runtime, plan: FaultPlan) -> dict[str, Any]:
    runtime.faults.replace(plan)
    return runtime.faults.current().model_dump()


@router.get("/admin/faults")
def get_faults(runtime: Runtime) -> dict[str, Any]:
    return runtime.faults.current().model_dump()


@router.delete("/admin/faults")
def delete_faults(runtime: Runtime) -> dict[str, Any]:
    runtime.faults.clear()
    return runtime.faults.current().model_dump()


@router.post("/admin/reset")
def reset(
    runtime: Runtime, request: Annotated[ResetRequest | None, Body()] = None
) -> dict[str, str]:
    seeded_at = (request.seeded_at if request else None) or datetime.now(timezone.utc)
    reset_reference(runtime.config.database_url, seeded_at)
    return {"seeded_at": iso(seeded_at)}


def _stats(runtime: ReferenceRuntime) -> dict[str, Any]:
    requests = runtime.stats.snapshot()
    credits, extensions = runtime.store.posting_counts()
    return {
        "requests": requests,
        "total": sum(requests.values()),
        "credits": credits,
        "extensions": extensions,
    }


@router.get("/admin/stats")
def get_stats(runtime: Runtime) -> dict[str, Any]:
    return _stats(runtime)


@router.delete("/admin/stats")
def delete_stats(runtime: Runtime) -> dict[str, Any]:
    runtime.stats.clear()
    return _stats(runtime)


def _conformance(runtime: ReferenceRuntime) -> dict[str, Any]:
    if runtime.conformance is None:  # not in validate mode: nothing is checked
        return {"checked": 0, "violations": []}
    return runtime.conformance.snapshot()


@router.get("/admin/conformance")
def get_conformance(runtime: Runtime) -> dict[str, Any]:
    return _conformance(runtime)


@router.delete("/admin/conformance")
def delete_conformance(runtime: Runtime) -> dict[str, Any]:
    if runtime.conformance is not None:
        runtime.conformance.clear()
    return _conformance(runtime)
