"""What the sweeps produce: deterministic tables and claims, plus timings kept apart."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class VarianceRow:
    setting: str  # e.g. "cos(kx), μ=1, σ=1, k=2"
    estimator: str
    coordinate: str  # "mean" or "log_std"
    draws: int
    empirical: float  # unbiased sample variance of the per-sample gradients
    standard_error: float  # of `empirical`, from the sample fourth central moment
    exact: float
    agrees: bool  # |empirical − exact| ≤ z · standard_error (Bonferroni over the table)


@dataclass(frozen=True)
class Table:
    """A sweep in long form, one row per (setting, estimator): what `--json` gives a program.

    The report shows it pivoted: `across` is the swept column that becomes the table's columns,
    the other key columns name the rows, and each value column becomes its own small table, with
    its exact value beside each sampled one where `exact` pairs them.
    """

    title: str
    columns: list[str]
    rows: list[list[object]]  # numbers and strings only; every value deterministic
    across: str = ""  # the swept parameter (a column name); "" shows the table as it is
    keys: list[str] = field(default_factory=list)  # the columns that name a row, besides `across`
    exact: dict[str, str] = field(default_factory=dict)  # value column -> its exact column
    omitted: list[str] = field(default_factory=list)  # value columns a caption derives from others
    captions: dict[str, str] = field(default_factory=dict)  # value column -> what to look at


@dataclass(frozen=True)
class Figure:
    name: str  # PNG file name inside the output folder
    caption: str  # what to look at


@dataclass(frozen=True)
class Claim:
    statement: str  # a published shape, e.g. "score-function variance grows with dimension"
    evidence: str  # the numbers behind the verdict
    holds: bool


@dataclass(frozen=True)
class Timing:
    sweep: str
    setting: str
    estimator: str
    seconds_per_sample: float
    variance: float  # the deterministic variance of the same run, for variance × seconds

    @property
    def work_normalised_variance(self) -> float:
        return self.variance * self.seconds_per_sample


@dataclass
class BenchResults:
    quick: bool
    variance_rows: list[VarianceRow] = field(default_factory=list)
    variance_alpha: float = 1e-3  # family-wise false-alarm rate of the agree column
    tables: dict[str, Table] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)  # PNGs inside out_dir
    timings: list[Timing] = field(default_factory=list)
    elapsed_seconds: dict[str, float] = field(default_factory=dict)  # wall time per sweep

    def to_dict(self) -> dict:
        return {
            "quick": self.quick,
            "variance_alpha": self.variance_alpha,
            "variance_rows": [asdict(row) for row in self.variance_rows],
            "tables": {name: asdict(table) for name, table in self.tables.items()},
            "claims": [asdict(claim) for claim in self.claims],
            "figures": [asdict(figure) for figure in self.figures],
            "timings": [
                {**asdict(t), "work_normalised_variance": t.work_normalised_variance} for t in self.timings
            ],
            "elapsed_seconds": dict(self.elapsed_seconds),
        }
