"""Use cases: what the pages and the CLI ask of the core, checked and recorded."""
