"""
Test helpers for portal developers, plugin authors and security reviewers.
"""
