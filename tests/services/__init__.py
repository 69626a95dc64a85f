"""Tests of the service registry, its plugins and the legacy adapter."""
