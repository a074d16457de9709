"""Reliability and security: faults, bad input, hostile servers, secrets (issue 6)."""
