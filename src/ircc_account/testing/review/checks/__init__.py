"""The checks of the reviewer's run, one module per subject; each names the requirements it pins."""
