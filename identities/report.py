"""A GitHub-Markdown section with the verdict of every displayed row."""

from __future__ import annotations

from elbo_suite.identities.verdict import DocumentVerification

_SYMBOL = {"verified": "✅ verified", "refuted": "❌ refuted", "definition": "📘 definition",
           "unverified": "❔ unverified"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _renderable(tex: str) -> str:
    """The row as GitHub's math renderer accepts it; the JSON and the checks keep it as written.

    A lone align row keeps its alignment point `&`, which only an aligned environment accepts,
    and `\\argmax` is not a predefined macro there.
    """
    tex = tex.replace("\\argmax", "\\operatorname*{arg\\,max}")
    if "&" in tex:
        tex = "\\begin{aligned}" + tex + "\\end{aligned}"
    return tex


def markdown_section(doc: DocumentVerification, *, heading: str = "##") -> str:
    """Counts, a summary table, then each row's LaTeX (GitHub math) with its full evidence."""
    lines = [f"{heading} Derivation: `{doc.source}`", "", f"**{doc.counts_line()}**", "",
             "| Eq. | Block.row | Relation | Verdict | Evidence |",
             "|---|---|---|---|---|"]
    for r in doc.rows:
        number = f"({r.number})" if r.number is not None else "—"
        lines.append(f"| {number} | {r.block}.{r.row} | {_cell(r.relation or '—')} | "
                     f"{_SYMBOL[r.verdict]} | {_cell(r.evidence)} |")
    lines.append("")
    for r in doc.rows:
        lines += [f"{heading}# {r.label}: {r.verdict}", "", "```math", _renderable(r.tex), "```", "",
                  f"**Evidence.** {r.evidence}", ""]
        if r.details and r.details != r.evidence:
            lines += ["<details><summary>Details</summary>", "", "```text", r.details, "```", "",
                      "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"
