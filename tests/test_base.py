"""Tests for scorecause.base. The Dataset / Prior tests that used to live here moved to tests/test_data.py."""
