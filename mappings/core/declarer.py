"""One ``Declarer`` per module of ``mappings.operations``: the family's declarations, as data.

In the spirit of Cadwyn's version changes, a declaration states only what is particular to
the operation; what a whole module shares (its legacy family, where successor links point,
how the caller is identified) is said once, when the declarer is made::

    ops = Declarer(Family.V1)  # successor links: protocol.DOCS + the successor's operation id

    @ops.declare("B1", "get_campaigns", "GET", "/api/v1/campaigns", upstream=("get_campaigns",),
                 fidelity=Fidelity.LOSSY, successor="get_campaigns", max_upstream_calls=1)
    def get_campaigns(req: LegacyRequest) -> Plan:
        \"\"\"The catalog text.\"\"\"

    ops.unsupported("B9", ...)  # answers the legacy 501 naming the successor; no plan to write

Each declaration is checked when it is made (docstring, successor, upstream bound, duplicate
ids), so a broken one fails at import; ``mappings.registry`` then checks the whole catalog
against the pinned spec and collects ``ops.operations`` of every listed module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Any

from mappings import protocol
from mappings.core.declaration import Family, Fidelity, Operation, UpstreamBound
from mappings.core.reply import LegacyReply
from mappings.core.request import LegacyRequest
from mappings.core.steps import Plan, PlanFn, Step

Caller = Callable[[LegacyRequest], str | None]
_SUCCESSOR = re.compile(r"^\w+$")


class Answer(Generator[Step, Any, LegacyReply]):
    """A plan that asks the upstream nothing: it finishes at once with ``reply``."""

    def __init__(self, reply: LegacyReply) -> None:
        self.reply = reply

    def send(self, value: Any) -> Step:
        raise StopIteration(self.reply)

    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: BaseException | object = None,
        tb: TracebackType | None = None,
    ) -> Step:
        raise typ if isinstance(typ, BaseException) else typ()


class Unsupported:
    """The plan of an operation the new API cannot honour: the legacy 501 naming its successor."""

    def __init__(self, reply: LegacyReply) -> None:
        self.reply = reply

    def __call__(self, req: LegacyRequest) -> Plan:
        return Answer(self.reply)


def catalog_text(text: str | None) -> str:
    """A docstring as one catalog line."""
    return " ".join((text or "").split())


class Declarer:
    """Collects and validates the operations one module declares, all of one legacy family."""

    def __init__(
        self,
        family: Family,
        *,
        docs: str = protocol.DOCS,
        requires_private_key: bool = True,
        writes: bool | None = None,
        caller: Caller | None = None,
    ) -> None:
        self.family = family
        self.docs = docs
        self.requires_private_key = requires_private_key
        self.writes = writes
        self.caller = caller
        self._operations: list[Operation] = []

    def also(self, family: Family) -> Declarer:
        """A declarer for a second family of this module, collecting into the same operations
        (e.g. the one v1 route of a v2 module): ``v1_ops = ops.also(Family.V1)``."""
        other = Declarer(
            family,
            docs=self.docs,
            requires_private_key=self.requires_private_key,
            writes=self.writes,
            caller=self.caller,
        )
        other._operations = self._operations
        return other

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation declared so far, in declaration order."""
        return tuple(self._operations)

    def declare(
        self,
        id: str,
        name: str,
        method: str,
        path: str,
        *,
        upstream: Iterable[str],
        fidelity: Fidelity,
        successor: str,
        lost: str = "",
        max_upstream_calls: int | UpstreamBound = 1,
        writes: bool | None = None,
        spoolable: bool = False,
    ) -> Callable[[PlanFn], Operation]:
        """Decorator turning a plan function into a declared operation; its docstring is the doc."""

        def wrap(fn: PlanFn) -> Operation:
            return self._add(
                id, name, method, path, tuple(upstream), fidelity, successor, lost,
                max_upstream_calls, writes, catalog_text(fn.__doc__), fn, spoolable,
            )  # fmt: skip

        return wrap

    def unsupported(
        self,
        id: str,
        name: str,
        method: str,
        path: str,
        *,
        successor: str,
        what: str,
        replacement: str,
        lost: str,
        doc: str,
    ) -> Operation:
        """Declare an operation the new API cannot honour: no upstream call, the legacy 501 that
        says ``what`` is not supported and names ``replacement`` with its reference page."""
        reply = protocol.unsupported(self.family, what, replacement, self._link(id, successor))
        return self._add(
            id, name, method, path, (), Fidelity.UNSUPPORTED, successor, lost, 0, None,
            catalog_text(doc), Unsupported(reply),
        )  # fmt: skip

    def _link(self, id: str, successor: str) -> str:
        if not _SUCCESSOR.match(successor):
            raise ValueError(f"{id}: successor {successor!r} must be a new-API operation id")
        return self.docs + successor

    def _add(
        self,
        id: str,
        name: str,
        method: str,
        path: str,
        upstream: tuple[str, ...],
        fidelity: Fidelity,
        successor: str,
        lost: str,
        bound: int | UpstreamBound,
        writes: bool | None,
        doc: str,
        plan: PlanFn,
        spoolable: bool = False,
    ) -> Operation:
        if not doc:
            raise ValueError(f"mapping {id} needs a docstring: it is the user-facing catalog entry")
        if any(op.id == id for op in self._operations):
            raise ValueError(f"mapping {id} is declared twice")
        bound = bound if isinstance(bound, UpstreamBound) else UpstreamBound(bound)
        if (bound.limit == 0) != (not upstream):
            raise ValueError(f"mapping {id}: {bound.limit} upstream calls but upstream={upstream!r}")
        if (fidelity is Fidelity.EXACT) == bool(lost):
            raise ValueError(f"mapping {id}: `lost` says what a lossy or unsupported mapping loses")
        op = Operation(
            id=id,
            name=name,
            method=method.upper(),
            path=path,
            family=self.family,
            upstream=upstream,
            fidelity=fidelity,
            successor=self._link(id, successor),
            doc=doc,
            plan=plan,
            lost=lost,
            max_upstream_calls=bound,
            requires_private_key=self.requires_private_key,
            writes=writes if writes is not None else self.writes,
            caller=self.caller,
            spoolable=spoolable,
        )
        if spoolable and (not op.is_write or bound.limit != 1):
            raise ValueError(f"mapping {id}: only a write of exactly one upstream call can be spoolable")
        self._operations.append(op)
        return op
