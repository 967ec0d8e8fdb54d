"""Hand labels for wang_vrnn_bounds.md, one entry per display row in reading order (see the .md for the source)."""

ROWS = [
    ("definition", r"""\mathcal{L}_{VAE} = -\text{KL}(q_\phi(z|x)||p_\theta(z))+\mathop{\mathbb{E}}_{q_\phi(z|x)}[\log p_\theta(x|z)]""",
     "binds the VAE objective (the ELBO)"),
    ("definition", r"""\mathcal{L}_{VRNN} = \mathbb{E}_{q(z_{1:T}|x_{1:T})}[\sum_{t=1}^T(-\text{KL}(q_\phi(z_t|z_{1:t-1}, x_{1:t})||p(z_t|z_{1:t-1}, x_{1:t-1}))+\log p_\theta(x_t|z_{1:t}, x_{1:t-1}))]""",
     "binds the VRNN objective"),
    ("definition", r"""\mathcal{L}_{IWAE} = \mathbb{E}_{z_1, \dots, z_k \sim q_\phi(z|x)}[\log \frac{1}{k} \sum_{i=1}^k \frac{p_\theta(x|z_i)p(z_i)}{q_\phi(z_i|x)}]""",
     "binds the IWAE objective with k draws"),
    ("correct", r"""\log p(x) \ge \mathcal{L}_{IWAE,k+1} \ge \mathcal{L}_{IWAE,k}""",
     "the IWAE bound is below the log-evidence and grows with k (Burda et al., 2016, Theorem 1)"),
    ("correct", r"""\lim_{k \rightarrow \infty} \mathcal{L}_{IWAE,k} = \log p(x)""",
     "the IWAE bound tends to the log-evidence (for bounded weights)"),
]
