"""Tests for the pure engine: validation, the safety proof, matching, conversations and shipped flows."""
