"""Saleor edge: manifest, install, webhook signatures, dashboard tokens, GraphQL client."""
