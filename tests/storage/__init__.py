"""Tests for the conversation stores, run against SQLite and a real redis-server."""
