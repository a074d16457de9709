"""The clients' own modules, written once for asyncio and rewritten by `make generate`.

`scripts/unasync.py` rewrites each module here into its blocking twin in `_sync/`.
"""
