"""cybercase.collect."""
