"""The database: connection, migrations, and the tables' own reads and writes."""
