"""``klaviyo-sdk==1.0.9.20220329`` (the generated legacy SDK, package ``swagger_client``) calls
every one of its 47 operations against the proxy, sandbox behind it, over real sockets.

One module per SDK API class (TrackIdentify 4, Campaigns 9, Templates 7, Metrics 4, Profiles 6,
ListsSegments 16, DataPrivacy 1). Each call either returns what the SDK expects (legacy shape
asserted, and its effect read back through the proxy's new-API pass-through, or the sandbox
``Store`` for what no API shows) or, for the unsupported B9 and C7, raises the SDK's own
``swagger_client.rest.ApiException`` with a 501 naming the successor (``test_template_send_beta``
also sends C7 on a second stack with the operator's opt-in). ``test_completeness``
checks that all 47 operations were called.

Runs on a private stack (``conftest.py``) so the v1 collections it lists hold what it created;
its upstream traffic is validated by ``tests/contract`` like all others.
"""
