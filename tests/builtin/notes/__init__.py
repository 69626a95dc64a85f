"""Tests of decision notes."""
