"""Date and time formats per language (FORMAT_MODULE_PATH): day first and 24-hour in
both languages of this Norwegian product. An associate may choose another style on
their settings page (crm/dates.py)."""
