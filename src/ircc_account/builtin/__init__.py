"""
The department's built-in services, each a plugin in its own subpackage,
registered through the ``ircc_account.services`` entry points exactly as a
third party's would be (see ``docs/plugins.md``).
"""
