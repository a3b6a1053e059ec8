"""The public site: pure page rendering from the facts, the MkDocs plugin, the build audit, the starter."""
