"""Settings, data files, errors and time: what every layer below the CLI shares."""
