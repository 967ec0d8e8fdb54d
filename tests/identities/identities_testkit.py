"""Small helpers shared by the identities tests."""


def by_number(doc, number):
    (row,) = [r for r in doc.rows if r.number == number]
    return row


def display(*rows: str) -> str:
    """A Markdown document with one bare $$ block per row."""
    return "\n\n".join(f"$$\n{r}\n$$" for r in rows) + "\n"
