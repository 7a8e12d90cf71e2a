"""Writes for the courses app. One module per concept; import from here."""
