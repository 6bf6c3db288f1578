"""saleor-bexio-app: keeps a Saleor shop and bexio accounting in step."""

__version__ = "0.1.0"
