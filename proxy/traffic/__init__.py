"""The unmigrated-traffic record: one row per legacy call, written off the request path."""
