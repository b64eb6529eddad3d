"""cybercase.request."""
