"""``python -m proxy.cli``: the ``klaviyo-compat`` command."""

from proxy.cli import main

raise SystemExit(main())
