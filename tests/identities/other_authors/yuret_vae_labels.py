"""Hand labels for yuret_vae.md, one entry per display row in reading order (see the .md for the source)."""

ROWS = [
    ("correct", r"""P(x) = \int P(x|z) P(z) dz""",
     "the evidence as an integral (P and Q are densities)"),
    ("correct", r"""P(x) = E_{z\sim P(Z)}[P(x|z)]""",
     "the integral as an expectation under the prior"),
    ("correct", r"""P(x) \approx \frac{1}{N} \sum_{z_n\sim P(Z)} P(x|z_n)""",
     "Monte Carlo estimate with draws from the prior"),
    ("correct", r"""P(x) = \int P(x|z) P(z) Q(z|x) / Q(z|x) dz""",
     "multiplies and divides by Q"),
    ("correct", r"""P(x) = E_{z\sim Q(Z|x)}[P(x|z) P(z) / Q(z|x)]""",
     "the integral as an expectation under Q"),
    ("correct", r"""P(x) \approx \frac{1}{N} \sum_{z_n\sim Q(Z|x)} P(x|z_n) P(z_n) / Q(z_n|x)""",
     "importance-sampling estimate with draws from Q"),
    ("correct", r"""\log P(x) = \log E_{z\sim Q(Z|x)}[P(x|z) P(z) / Q(z|x)]""",
     "the logarithm of the identity above"),
]
