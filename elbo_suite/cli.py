"""The `elbo-suite` command line: verify | check | bench | report.

Exit codes, the same for every command:
  0  everything checked passed (or the report was written / is current)
  1  a check failed: a refuted or unverified step, a failed statistical claim, a stale report
  2  bad input or usage: a missing or unreadable file, malformed LaTeX, a broken user callable
Imports are deferred to each command so that `verify` never imports torch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import UsageError
from .gate_flags import positive_int

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# The renderers whose equation numbering `verify --renderer` can assume (identities/reader/numbering.py).
RENDERER_CHOICES = ("mathjax-ams", "mathjax-all", "mathjax-none", "katex", "latex")


def _write_json(target: str | None, payload: Any) -> None:
    if target is None:
        return
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--json: cannot write {target!r}: {exc.strerror or exc}") from exc


# ----------------------------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------------------------
VERDICT_STYLE = {
    "verified": "green",
    "refuted": "bold red",
    "definition": "cyan",
    "unverified": "yellow",
}


def _cmd_verify(args: argparse.Namespace) -> int:
    from rich.table import Table

    from elbo_suite.identities import EMBEDDED, embedded_derivation_path, verify_path
    from elbo_suite.identities.budget import Budget

    from .console import progress, stderr, stdout

    # a bare name of a shipped derivation ("diffusion") selects it; anything else is a path
    path = embedded_derivation_path(args.path or "elbo") if (args.path or "elbo") in EMBEDDED \
        else Path(args.path)
    _require_writable_output("--json", args.json)  # before the work, not after it
    budget = Budget(seconds=args.row_seconds, memory_mb=args.row_memory_mb)
    with progress("verify", delay_seconds=2.0) as update:
        doc = verify_path(path, renderer=args.renderer, budget=budget, progress=update,
                          max_bytes=args.max_bytes)
    for warning in doc.warnings:  # what the reader read past: never silent
        stderr.print(f"elbo-suite: warning: {warning}", markup=False, soft_wrap=True)

    table = Table(title=f"Derivation steps of {path.name}", show_lines=False)
    table.add_column("eq.", justify="right")
    table.add_column("block.row", justify="right")
    table.add_column("rel.")
    table.add_column("verdict")
    table.add_column("evidence", overflow="fold")
    for row in doc.rows:
        number = row.label if row.label.startswith("(") or row.number is not None else ""
        style = VERDICT_STYLE.get(row.verdict, "")
        table.add_row(
            number,
            f"{row.block}.{row.row}",
            row.relation,
            f"[{style}]{row.verdict}[/]",
            _evidence_cell(row),
        )
    if args.json != "-":
        stdout.print(table)
        stdout.print(_counts_line(doc.counts()))
        categories = _category_line(doc)
        if categories:
            stdout.print(categories)
        weaker = _weaker_line(doc)
        if weaker:
            stdout.print(weaker, markup=False)
        stdout.print(f"read as: {doc.conventions}", markup=False)
    _write_json(args.json, doc.to_dict())
    counts = doc.counts()
    return EXIT_OK if counts.get("refuted", 0) == 0 and counts.get("unverified", 0) == 0 else EXIT_FAILED


def _evidence_cell(row):
    """The evidence, then for a refuted row the weaker claim that does hold and the one edit that
    makes it hold (as plain text: LaTeX brackets are not console markup)."""
    from rich.text import Text

    parts = [row.evidence]
    if row.weaker:
        parts.append(f"weaker claim: {row.weaker}")
    if row.holds_if:
        parts.append(row.holds_if if row.holds_if.startswith("holds if") else f"holds if {row.holds_if}")
    return Text(" | ".join(parts))


def _weaker_line(doc) -> str:
    """How many refuted rows still hold in a weaker sense, by kind ("holds in expectation", ...)."""
    kinds: dict[str, int] = {}
    for r in doc.rows:
        if r.verdict == "refuted" and r.weaker:
            kind = r.weaker.split(":")[0].split(";")[0].strip()
            kinds[kind] = kinds.get(kind, 0) + 1
    repaired = sum(1 for r in doc.rows if r.verdict == "refuted" and r.holds_if)
    parts = [f"{n} {kind}" for kind, n in kinds.items()]
    if repaired:
        parts.append(f"{repaired} hold after one edit ('holds if')")
    return ("refuted as written, of which: " + ", ".join(parts)) if parts else ""


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in ("verified", "refuted", "definition", "unverified"))


def _category_line(doc) -> str:
    """How many unverified rows fall in each category, so a reader sees how much was judged."""
    from elbo_suite.identities.verdict import UNVERIFIED_CATEGORIES

    rows = [r for r in doc.rows if r.verdict == "unverified"]
    if not rows:
        return ""
    counts = {c: sum(1 for r in rows if r.category == c) for c in UNVERIFIED_CATEGORIES}
    return "unverified: " + ", ".join(f"{counts[c]} {c}" for c in UNVERIFIED_CATEGORIES)


def _require_writable_output(option: str, target: str | None) -> None:
    """Refuse an output path that cannot be written, before minutes of work."""
    if target is None or target == "-":
        return
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{option}: {target!r} is a directory (expected a file to write)")
    if not path.parent.is_dir():
        raise UsageError(f"{option}: folder {str(path.parent)!r} does not exist (expected an existing folder)")
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(path.parent, os.W_OK):
        raise UsageError(f"{option}: {target!r} is not writable")


# ----------------------------------------------------------------------------------------------
# check
# ----------------------------------------------------------------------------------------------
GATE_OPTIONS = ("kl", "elbo", "iwae", "gradient", "loss", "diffusion")


def _cmd_check(args: argparse.Namespace) -> int:
    from elbo_suite import gate_flags as flags

    specs = {kind: getattr(args, kind) for kind in GATE_OPTIONS if getattr(args, kind)}
    stray = flags.stray(list(specs), args)
    if stray and not specs:
        raise UsageError(
            f"options for your own function given without one: {', '.join(f.flag for f in stray)} "
            "(expected --kl, --elbo, --iwae, --gradient, --loss or --diffusion SPEC with them)"
        )
    if stray:
        raise UsageError(
            "; ".join(f"{f.flag} does not apply to {', '.join('--' + k for k in specs)} (it is for {flags.applies_to(f)})"
                      for f in stray)
            + _parameterisation_hint(stray, specs)
        )
    if specs:
        return _check_user_code(args, specs)
    return _check_default_models(args)


def _parameterisation_hint(stray, specs) -> str:
    if "gradient" in specs and any(f.flag == "--q-family" for f in stray):
        return " (for --gradient, q's family is --parameterisation mean_log_std or mean_cholesky)"
    return ""


def _check_default_models(args: argparse.Namespace) -> int:
    from elbo_suite.estimators.checks import run_default_checks
    from elbo_suite.estimators.diffusion.checks import run_diffusion_checks

    from .console import progress, stdout

    # (section, title, run): the VAE checks, then the diffusion checks, each with its own table
    sections = (
        ("vae", "Monte Carlo claims on exact Gaussian models", run_default_checks),
        ("diffusion", "Diffusion ELBO claims on exact Gaussian diffusions", run_diffusion_checks),
    )
    outcomes = []
    for section, title, run in sections:
        with progress(f"check {section}" if section != "vae" else "check") as update:
            results = run(progress=update)
        outcomes.append((section, results))
        if args.json != "-":
            _print_check_table(stdout, title, results)
    _write_json(args.json, [{"section": section, **r.to_dict()} for section, results in outcomes for r in results])
    return EXIT_OK if all(r.passed for _, results in outcomes for r in results) else EXIT_FAILED


def _print_check_table(stdout, title: str, results) -> None:
    from rich.table import Table

    from .numbers import number, with_error

    table = Table(title=title)
    for column in ("claim", "model", "estimate ± SE", "exact", "α", "n", "verdict"):
        table.add_column(column, overflow="fold")
    for r in results:
        verdict = "[green]pass[/]" if r.passed else "[bold red]FAIL[/]"
        # an exact check that holds: its spread is rounding noise, which must not reach the screen
        estimate = (f"= exact (tolerance {number(r.detectable_error, 1)})" if r.alpha == 0 and r.passed
                    else with_error(r.estimate, r.stderr))
        table.add_row(
            r.claim,
            r.model,
            estimate,
            number(r.exact, 6),
            "exact" if r.alpha == 0 else f"{r.alpha:.0e}",
            str(r.n),
            verdict,
        )
    stdout.print(table)
    failed = [r for r in results if not r.passed]
    stdout.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    for r in failed:
        stdout.print(f"[bold red]FAIL[/] {r.message}", markup=True)


def _check_user_code(args: argparse.Namespace, specs: dict[str, str]) -> int:
    from elbo_suite import gate_flags as flags
    from elbo_suite.gate import run_gate

    from .console import stdout

    results = []
    for kind, spec in specs.items():
        # Options not given take the check's own default; each flag reaches the kinds it is for.
        options = flags.options_for(kind, args)
        result = run_gate(kind, spec, **options)
        results.append((kind, spec, result))
        if args.json != "-":
            mark = "[green]pass[/]" if result.passed else "[bold red]FAIL[/]"
            stdout.print(f"{mark} {kind} {spec}: ", end="")
            stdout.print(result.message, markup=False)
    _write_json(args.json, [{"kind": k, "spec": s, **r.to_dict()} for k, s, r in results])
    return EXIT_OK if all(r.passed for _, _, r in results) else EXIT_FAILED


# ----------------------------------------------------------------------------------------------
# bench
# ----------------------------------------------------------------------------------------------
def _cmd_bench(args: argparse.Namespace) -> int:
    from elbo_suite.bench import run_sweeps
    from elbo_suite.bench.report import markdown_section, timings_section

    from .console import progress, stdout

    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create directory {str(out_dir)!r}: {exc.strerror or exc}") from exc
    from elbo_suite.bench import diffusion_report
    from elbo_suite.bench.diffusion_sweeps import run_diffusion_sweeps

    with progress("bench") as update:
        results = run_sweeps(quick=args.quick, out_dir=out_dir, progress=update)
    with progress("bench diffusion") as update:
        diffusion = run_diffusion_sweeps(quick=args.quick, out_dir=out_dir, progress=update)
    if args.json != "-":
        from rich.markdown import Markdown

        stdout.print(Markdown(markdown_section(results, image_prefix=str(out_dir))))
        stdout.print(Markdown(diffusion_report.markdown_section(diffusion, image_prefix=str(out_dir))))
        stdout.print(Markdown(timings_section(results)))
        stdout.print(Markdown(diffusion_report.timings_section(diffusion)))
        stdout.print(f"Plots written to {out_dir}/")
    _write_json(args.json, {**results.to_dict(), "diffusion": diffusion.to_dict()})
    return EXIT_OK


# ----------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------
def _cmd_report(args: argparse.Namespace) -> int:
    from .console import progress, stdout
    from .report import check_report, write_report

    path = Path(args.path)
    if args.check and args.force:
        raise UsageError("--force: has no effect with --check (which writes nothing)")
    if not args.check:
        _require_writable_report(path)  # before minutes of checks and sweeps, not after
    with progress("report") as update:
        if args.check:
            current, message = check_report(path, progress=update)
        else:
            current, message = True, write_report(path, progress=update, force=args.force)
    stdout.print(message, markup=False)
    return EXIT_OK if current else EXIT_FAILED


def _require_writable_report(path: Path) -> None:
    from .report import FIGURES_DIRNAME

    figures = path.parent / FIGURES_DIRNAME
    if path.is_dir():
        raise UsageError(f"--path: {str(path)!r} is a directory (expected the report file to write)")
    if not path.parent.is_dir():
        raise UsageError(f"--path: folder {str(path.parent)!r} does not exist (expected an existing folder)")
    if figures.exists() and not figures.is_dir():
        raise UsageError(f"--path: {str(figures)!r} is a file (expected a folder for the figures)")
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(path.parent, os.W_OK):
        raise UsageError(f"--path: {str(path)!r} is not writable")


# ----------------------------------------------------------------------------------------------
# argument parsing
# ----------------------------------------------------------------------------------------------
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _memory_mb(text: str) -> int:
    value = positive_int(text)
    if value < 64:
        raise argparse.ArgumentTypeError(f"expected at least 64 (MB), got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line on stderr, exit 2, as for any bad input
        from .console import error_line

        error_line(f"{self.prog}: {message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="elbo-suite",
        description=(
            "Verification and benchmark suite for the ELBO identities behind VAEs and diffusion "
            "models. Exit codes: 0 pass, 1 a check failed, 2 bad input or usage."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="{verify,check,bench,report}", parser_class=_Parser)

    verify = sub.add_parser(
        "verify",
        help="check every step of a Markdown+LaTeX ELBO derivation with SymPy",
        description=(
            "Read the display equations of a Markdown+LaTeX document and judge every step: "
            "verified (with the symbolic evidence), refuted (with a counterexample), definition, "
            "or unverified. Without PATH the derivation shipped with the suite is checked. "
            "Exit 0 when nothing is refuted or unverified, 1 otherwise, 2 for bad input."
        ),
    )
    verify.add_argument("path", nargs="?", help="Markdown document, or the name of a shipped derivation: "
                        "'elbo' (the default) or 'diffusion' (hierarchical VAE and diffusion)")
    verify.add_argument("--json", metavar="FILE", help="also write the per-row verdicts as JSON ('-' for stdout)")
    verify.add_argument("--renderer", choices=sorted(RENDERER_CHOICES),
                        help="equation numbering to read the document under (default: what the "
                             "document configures, else MathJax with AMS numbering)")
    verify.add_argument("--row-seconds", type=_positive_float, default=4.0, metavar="S",
                        help="CPU seconds one row may compute; a row over it is 'unverified: timed out' (default 4)")
    verify.add_argument("--row-memory-mb", type=_memory_mb, default=2048, metavar="MB",
                        help="memory one row may add; a row over it is 'unverified: timed out' (default 2048)")
    verify.add_argument("--max-bytes", type=positive_int, default=1_048_576, metavar="N",
                        help="refuse a document larger than this, before any work (default 1048576, 1 MiB)")
    verify.set_defaults(run=_cmd_verify)

    check = sub.add_parser(
        "check",
        help="Monte Carlo checks on exact Gaussian models, or of your own KL/ELBO/gradient code",
        description=(
            "Without options: run the statistical checks (ELBO <= log p(x), the KL gap identity, "
            "tightness at the posterior, IWAE ordering, unbiasedness) on the default seeded "
            "models, then the diffusion ones (bound, gap identity, tightness at the true reverse, "
            "unbiasedness of every t-sampled estimator, the eps/x0/v/score weight identities). "
            "With --kl/--elbo/--iwae/--gradient/--loss SPEC: check your own function, given as "
            "'package.module:function' or 'path/to/file.py:function', against the exact models. "
            "Every option of the Python checks has its flag below; a flag that does not apply to the "
            "functions given is a usage error. Exit 0 all pass, 1 any fails, 2 bad input."
        ),
    )
    check.add_argument("--json", metavar="FILE", help="also write the results as JSON ('-' for stdout)")
    check.add_argument("--kl", metavar="SPEC", help="your Gaussian KL function")
    check.add_argument("--elbo", metavar="SPEC", help="your ELBO estimator (model, q, x, eps)")
    check.add_argument("--iwae", metavar="SPEC", help="your IWAE estimator (model, q, x, eps)")
    check.add_argument("--gradient", metavar="SPEC", help="your per-draw gradient estimator of the ELBO")
    check.add_argument(
        "--loss",
        metavar="SPEC",
        help="your VAE loss or ELBO as you wrote it: loss_function(recon_x, x, mu, logvar), "
        "elbo(x, encoder, decoder, prior), an IWAE loss over (K, B) log-probabilities, ... (style read "
        "from the parameter names, or --style)",
    )
    check.add_argument(
        "--diffusion",
        metavar="SPEC",
        help="your diffusion function (q_sample, posterior, normal_kl, conversions, a DDPM/DDIM step) or a "
        "scheduler / diffusion object or class (every method the gate knows is checked)",
    )
    from .gate_flags import add_flags  # torch-free: the table of every gate option's flag

    add_flags(check)
    check.set_defaults(run=_cmd_check)

    bench = sub.add_parser(
        "bench",
        help="variance, SNR and cost of the gradient estimators and of the diffusion ELBO estimators",
        description=(
            "Sweep every gradient estimator over latent dimension, distance of q from the "
            "posterior and K (IWAE), and the diffusion ELBO estimators over T and the schedule "
            "(and the eps- vs x0-prediction gradients); compare empirical with exact variances; "
            "write PNG plots."
        ),
    )
    bench.add_argument("--quick", action="store_true", help="small sweeps (seconds instead of minutes)")
    bench.add_argument("--out", default="bench-output", metavar="DIR", help="where plots go (default bench-output)")
    bench.add_argument("--json", metavar="FILE", help="also write the sweep results as JSON ('-' for stdout)")
    bench.set_defaults(run=_cmd_bench)

    report = sub.add_parser(
        "report",
        help="regenerate REPORT.md (derivation, Monte Carlo checks, estimator comparison)",
        description=(
            "Regenerate REPORT.md and its figures from the code. Everything but the timing "
            "section reads the same on every machine; a report that already reads as the code "
            "produces it is kept as it is (--force rewrites its timings). With --check, write "
            "nothing and exit 1 when the file is not what the code would produce now (timings "
            "ignored)."
        ),
    )
    report.add_argument("--check", action="store_true", help="exit 1 if REPORT.md is out of date")
    report.add_argument("--path", default="REPORT.md", help="report file (default REPORT.md; figures go beside it)")
    report.add_argument("--force", action="store_true", help="rewrite REPORT.md even if only its timings change")
    report.set_defaults(run=_cmd_report)
    return parser


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input; looked up lazily so `verify` stays torch-free."""
    types: list[type[BaseException]] = [UsageError]
    modules = ("elbo_suite.identities.errors", "elbo_suite.gate")
    names = ("DocumentError", "GateInputError")
    for module_name, name in zip(modules, names):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, name):
            types.append(getattr(module, name))
    return tuple(types)


def main(argv: Sequence[str] | None = None) -> int:
    from .console import error_line

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.run(args)
    except KeyboardInterrupt:
        error_line("interrupted")
        return EXIT_BAD_INPUT
    except Exception as exc:  # bad input becomes one line and exit 2; anything else is a bug
        if isinstance(exc, _bad_input_types()):
            error_line(str(exc))
            return EXIT_BAD_INPUT
        raise


if __name__ == "__main__":
    sys.exit(main())
