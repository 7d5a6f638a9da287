"""Wagtail admin hooks for importing and exporting survey results (being built)."""
