"""Hand labels for tella_ddpm_slides.md, one entry per display row in reading order (see the .md for the source)."""

ROWS = [
    ("definition", r"""\mathcal{K} = \mathbb{E}_{q(x_{0:T})} \left[ \log \left( \frac{p_\theta(x_{0:T}) }{q(x_{1:T} | x_0)} \right) \right] = \mathbb{E}_{q(x_{0:T})} \left[ \log \left( \frac{p(x_T) \prod_{t=1}^T p_\theta(x_{t-1} | x_t)}{\prod_{t=1}^T q(x_t | x_{t-1})} \right) \right]""",
     "binds K, the ELBO; the second '=' substitutes both chains"),
    ("correct", r"""\mathcal{-K} = \mathbb{E}_{q} \left[ -\log p(x_T) - \sum_{t=1}^T \log p_\theta(x_{t-1} | x_t) + \sum_{t=1}^T \log q(x_t | x_{t-1}) \right]""",
     "the negative of K, with the logarithms split"),
    ("correct", r"""= \mathbb{E}_q \left[ -\log p(x_T) - \sum_{t=2}^T \log p_\theta(x_{t-1} | x_t) - \log p_\theta(x_0 | x_1) + \sum_{t=2}^T \log q(x_t | x_{t-1}) + \log q(x_1 | x_0) \right]""",
     "separates the t = 1 terms"),
    ("correct", r"""= \mathbb{E}_q \left[ -\log p(x_T) - \sum_{t=2}^T \log \frac{p_\theta(x_{t-1} | x_t)}{q(x_t | x_{t-1})} - \log \frac{p_\theta(x_0 | x_1)}{q(x_1 | x_0)} \right]""",
     "groups the log-ratios"),
    ("correct", r"""- \log p(x_T) = \log \frac{q(x_T | x_0)}{p(x_T)} \textcolor{blue}{- \log q(x_T | x_0)}""",
     "adds and subtracts log q(x_T|x_0)"),
    ("correct", r"""- \log \frac{p_\theta(x_0 | x_1)}{q(x_1 | x_0)} = \textcolor{green}{\log q(x_1 | x_0)} - \log p_\theta(x_0 | x_1)""",
     "splits the log-ratio"),
    ("correct", r"""- \sum_{t=2}^T \log \frac{p_\theta(x_{t-1} | x_t)}{q(x_t | x_{t-1})} = \sum_{t=2}^T \log \Big( \frac{q(x_{t-1} | x_t, x_0)}{p_\theta(x_{t-1} | x_t)} \frac{q(x_t | x_0)}{q(x_{t-1} | x_0)} \Big)""",
     "Bayes' rule with the Markov property, for t >= 2"),
    ("correct", r"""\sum_{t=2}^T \log \frac{q(x_t | x_0)}{q(x_{t-1} | x_0)} = \log \frac{q(x_T | x_0)}{q(x_1 | x_0)} = \textcolor{blue}{\log {q(x_T | x_0)}} \textcolor{green}{- \log {q(x_1 | x_0)}}""",
     "the sum telescopes; then splits the logarithm"),
    ("correct", r"""\mathbb{E}_{q(x_{0:T})} \left[ \log \frac{q(x_T | x_0)}{p(x_T)} + \sum_{t=2}^T \log \frac{q(x_{t-1} | x_t, x_0)}{p_\theta(x_{t-1} | x_t)} - \log p_\theta(x_0 | x_1) \right]""",
     "an expression without a relation: -K after the cancellations"),
    ("error", r"""\mathcal{K} = \mathbb{E}_{q(x_{0:T})} \left[ D_{KL}(q(x_T | x_0) || p(x_T)) + \sum_{t=2}^T D_{KL}(q(x_{t-1} | x_t, x_0) || p_\theta(x_{t-1} | x_t)) - \log p_\theta(x_0 | x_1) \right]""",
     "sign error: the bracket is -K (the negative ELBO of the row before), not K"),
]
