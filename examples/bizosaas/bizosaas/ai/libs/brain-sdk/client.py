"""Shared client used by the brain gateway (placeholder)."""
