"""Say how to fix a refuted step: the first single edit of the row's LaTeX that makes it hold."""

from elbo_suite.identities.repair.search import repair

__all__ = ["repair"]
