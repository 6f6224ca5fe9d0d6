"""The pure core: what the product knows about snapshot consistency.

Plain Python only: no Django, Horizon or OpenStack client imports (a test
enforces this).  Every outcome carries its reasons as data, so the UI, the
tests and any future CLI show the same words.
"""
