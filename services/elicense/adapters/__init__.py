"""The e-license library's adapters: what talks to file formats and cryptography libraries."""
