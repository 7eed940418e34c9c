"""Evaluation: monthly runs through the rulebook, findings, bonus lines, escalations, explain, corrections,
the quarter close and what-if simulation (see docs/evaluation.md)."""
