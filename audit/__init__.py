"""Disciplinary inspection audit tracker: checklists, findings, rectification and trends."""

__version__ = "0.1.0"
