"""Helpers shared by test folders: real local services and their pytest fixtures."""
