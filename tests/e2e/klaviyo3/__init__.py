"""``klaviyo==3.1.7`` (the hand-written legacy Python SDK) calls every method it has against the
proxy, sandbox behind it, over real sockets.

One module per API class: Public (track, track_once, identify), Campaigns (get_campaigns,
get_campaign_recipients), DataPrivacy (request_profile_deletion), Lists (14 methods), Metrics (4)
and Profiles (6), plus the ``Klaviyo`` convenience class. Each call returns the
``KlaviyoAPIResponse`` the client builds from the legacy answer (shape asserted, effect read
back through the new-API pass-through, or the sandbox ``Store`` for what no API shows), or
raises the client's own ``KlaviyoAPIException`` — for the unsupported B9 a 501 naming the
successor. ``test_completeness`` checks that every method was called.

The client's POST track/identify go to its hard-coded ``https://a.klaviyo.com/api``, as does
the ``Klaviyo`` convenience class (it cannot take an ``api_server``): the test resolver sends
that host to this package's TLS proxy. Runs on a private stack (``conftest.py``).
"""
