"""Text that a spreadsheet opening one of our CSV files shows as text: the exports, the import's errors file
and the charts' downloads all write through this one list.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, or the full-width forms of the
four, U+FF1D U+FF0B U+FF0D U+FF20, which spreadsheets read as their ASCII twins) as a formula:
`=HYPERLINK("http://evil", "click")` becomes a link, and worse. OWASP's CSV-injection advice is to prefix such
a cell with a single quote, which spreadsheets show as text.
"""

FORMULA_STARTS = "=+-@\t\r＝＋－＠"


def formula_like(text: str) -> bool:
    return text[:1] != "" and text[0] in FORMULA_STARTS


def cell_safe(value: object) -> str:
    text = str(value)
    return "'" + text if formula_like(text) else text
