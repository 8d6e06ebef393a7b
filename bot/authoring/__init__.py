"""Authoring tools for maintainers: conversation cases, language corpora and coverage, over the session."""
