"""Monitor: the watch list, recapture runs, what changed between captures, and warnings."""
