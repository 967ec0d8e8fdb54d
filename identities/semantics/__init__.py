"""Model families that give the derivation's symbols a meaning: one module per family."""
