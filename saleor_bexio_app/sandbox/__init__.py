"""Doubles of Saleor (and later bexio) that behave like the real systems: tests, `sandbox`."""
