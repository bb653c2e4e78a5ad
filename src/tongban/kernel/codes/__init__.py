"""National code lists and identifier validators."""
