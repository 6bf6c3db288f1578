"""The pure planning layer: Saleor state + shop settings + ledger in, plans out; no I/O.

Modules: model (domain values, settings), actions (order-action matrix), orders (documents,
payments, totals, refunds), contacts, vat, numbering, ports (Protocols the flows use).
It imports only `sync.*`, `ids` and `errors` (guarded by tests/test_layers.py).
"""
