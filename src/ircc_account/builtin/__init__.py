"""
The services this distribution publishes itself, each a plugin in its own
subpackage, registered through the ``ircc_account.services`` entry points
exactly as a third party's would be (see ``docs/plugins.md``).
"""
