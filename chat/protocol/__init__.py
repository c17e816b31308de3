"""The wire protocol: frame schemas, limits, parsing and error codes (docs/protocol.md §8)."""
