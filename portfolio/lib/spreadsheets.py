"""CSV cells a spreadsheet program opens safely.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by spreadsheet programs; a pilot titled `=HYPERLINK(...)` would run when a
reader opens the export. Such text cells get a leading apostrophe (OWASP's advice);
numbers stay numbers, negative ones included.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as written to a CSV cell: text that a spreadsheet would take for a
    formula starts with an apostrophe; numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]
