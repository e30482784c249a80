"""Klaviyo knowledge: how each legacy v1/v2 operation maps onto the new API.

Pure data and pure functions only: no httpx, starlette or other I/O is imported here.
"""
