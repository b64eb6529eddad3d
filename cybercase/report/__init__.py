"""cybercase.report."""
