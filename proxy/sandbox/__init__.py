"""In-memory, stateful emulator of Klaviyo's new JSON:API, at the pinned spec's revision.

The proxy's embedded default upstream and the test double for it: one demo account, reached by
any well-formed private key (``Authorization: Klaviyo-API-Key pk_...``) or, on ``/client/``
endpoints, any 6-character public key in ``company_id``.

``create_sandbox_app(store)`` serves the operations listed by ``proxy.sandbox.app.operations()``
(each resource module's ``HANDLERS``, on the method, path and rate limits of the spec table) over
``store`` (a fresh :class:`Store` when omitted). Tests seed and inspect state through the
store: ``add_list``, ``add_segment``, ``add_template``, ``join``, ``metric_named``,
``find_profile`` / ``find_by_email``, ``exchange_id`` (a profile's ``_kx``),
``pending_for`` / ``confirm`` (double opt-in), ``delete_profile``, and the ``profiles``,
``events``, ``lists``, ``segments``, ``campaigns``, ``campaign_messages``, ``templates``,
``pending_confirmations`` and ``jobs`` dictionaries. ``add_segment`` seeds a segment with fixed
members; ``POST /api/segments`` creates one from a definition, its membership recomputed from the
store on every request (``segment_rules``). ``Store(enforce_rate_limits=True)`` answers 429
beyond the lower limits some parameters bring (``limits``; always echoed in ``RateLimit-*``).

Every answer must validate against the pinned spec: ``tests/contract/test_sandbox_answers.py``
checks all answers given during a test session (end-to-end suites and sandbox tests).
"""

from proxy.sandbox.accounts import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.store import Store

__all__ = ["DEMO_PRIVATE_KEY", "DEMO_PUBLIC_KEY", "Store", "create_sandbox_app"]
