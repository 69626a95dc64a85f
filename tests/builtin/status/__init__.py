"""Tests of the status tracker."""
