"""Offline training material: the simulated marketplace, the guided demo, a test TSA."""
