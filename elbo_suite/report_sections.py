"""What REPORT.md contains, in order: one line per section.

Each entry is a section builder, `build(ReportContext) -> Section` (elbo_suite/section.py): it
runs its pillar, and returns its lines for the findings at the top, its details and its timings.
To add a derivation, add `derivation_section("<file in identities/derivations>")`; to add checks
or a benchmark, write a builder beside them and add it here. Nothing else changes.
"""

from __future__ import annotations

from elbo_suite.bench.diffusion_report import diffusion_section
from elbo_suite.bench.report import gradient_estimators_section
from elbo_suite.estimators.report import monte_carlo_section
from elbo_suite.identities.report import derivation_section
from elbo_suite.section import SectionBuilder

SECTIONS: tuple[SectionBuilder, ...] = (
    derivation_section("elbo.md"),
    derivation_section("diffusion.md"),
    monte_carlo_section,
    gradient_estimators_section,
    diffusion_section,
)
