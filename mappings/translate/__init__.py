"""Klaviyo knowledge that declares nothing: converters between legacy and new-API shapes, and
plan steps shared by several operations (paging, lookups, payload decoding, datetimes)."""
