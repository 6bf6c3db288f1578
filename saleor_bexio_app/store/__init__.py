"""The app's own database: tables, engine, repositories, migrations."""
