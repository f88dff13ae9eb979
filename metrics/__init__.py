"""Metric catalogue, measurements, periods, rollups, derived formulas and ingest."""
