"""Trợ lý số xã: the answer engine, knowledge loader, store and CLI."""

__version__ = "0.1.0"
