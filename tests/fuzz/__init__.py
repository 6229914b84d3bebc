"""Fuzzing the loaders: mutated shipped files and generated documents (see docs/fuzzing.md)."""
