"""Tests of the sandbox doubles (Saleor and bexio) against what the real systems do."""
