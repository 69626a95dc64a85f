"""The department's built-in services, each a plugin in its own subpackage and entry point."""
