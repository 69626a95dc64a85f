"""Test plugins: the kitchen sink implements every hook."""
