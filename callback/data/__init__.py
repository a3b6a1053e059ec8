"""The storage layer: tokens, webhook receipts, deletion requests, connect attempts, erasure, retention.

Nothing here knows Flask or click: each function takes its stores as arguments.
"""
