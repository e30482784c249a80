"""The vocabulary every mapping speaks: requests, upstream steps, replies, declarations.

``request`` (``LegacyRequest``), ``steps`` (``Call``, ``CollectAll``, ``CollectPages``,
``Gather``, ``SaveToken``, ``LoadToken``, their answers ``Reply`` and ``Collected``,
``UpstreamError``, ``Plan``), ``reply`` (``LegacyReply``) and ``declaration`` (``Operation``,
``Family``, ``Fidelity``, ``UpstreamBound``) are re-exported here; the ``Declarer`` that
modules of ``mappings.operations`` declare with lives in ``mappings.core.declarer``.
"""

from mappings.core.declaration import Family, Fidelity, Operation, UpstreamBound
from mappings.core.reply import HTML, JSON_TYPE, LegacyReply
from mappings.core.request import JSON, LegacyRequest
from mappings.core.steps import (
    Auth,
    Budget,
    CachedLookups,
    Call,
    CollectAll,
    Collected,
    CollectPages,
    Gather,
    LoadToken,
    Lookup,
    Plan,
    PlanFn,
    Reply,
    SaveToken,
    Step,
    UpstreamError,
)

__all__ = [
    "HTML",
    "JSON",
    "JSON_TYPE",
    "Auth",
    "Budget",
    "CachedLookups",
    "Call",
    "CollectAll",
    "CollectPages",
    "Collected",
    "Family",
    "Fidelity",
    "Gather",
    "LegacyReply",
    "LegacyRequest",
    "LoadToken",
    "Lookup",
    "Operation",
    "Plan",
    "PlanFn",
    "Reply",
    "SaveToken",
    "Step",
    "UpstreamBound",
    "UpstreamError",
]
