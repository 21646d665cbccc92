"""Opening the database, for the app and the command line: neither reaches into `audit.store` itself."""

from audit.store import Database, database_path, open_database

__all__ = ["Database", "database_path", "open_database"]
