"""Scenarios replayed on the twin (Montpellier 2019)."""
