"""Magnific Nano Banana Pro: a spec-synced, typed client (the facade lands in issue 3)."""
