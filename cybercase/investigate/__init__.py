"""Investigate: entities, lexicon hits, perceptual hashes, leads and the search index.

Everything here is derived from the evidence and can be rebuilt from the cases at any time;
nothing here changes a committed artifact.
"""
