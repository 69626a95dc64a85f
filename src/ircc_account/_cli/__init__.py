"""
The command line's implementation; :mod:`ircc_account.cli` is its entry point.
"""
