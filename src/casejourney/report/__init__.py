"""Spec and results → things people read: rule tables, comparisons, diagrams, reports."""
