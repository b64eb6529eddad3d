"""cybercase.training."""
