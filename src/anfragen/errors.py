"""Typed exceptions of the domain code; only cli/ and app.py turn them into messages."""

from __future__ import annotations


class AnfragenError(Exception):
    """Base class: the message says what was expected, what was found and what to do."""


class ReadError(AnfragenError):
    """A file that cannot be read as a document; the message names the file and the fix."""


class ParseError(AnfragenError):
    """A document whose shape was recognised but could not be parsed."""


class IndexMismatchError(AnfragenError):
    """The index on disk was built with other settings (model, chunker, format)."""


class IndexMissingError(AnfragenError):
    """No index at the given directory."""


class QueryError(AnfragenError):
    """A query that cannot be searched (empty, only punctuation)."""


class ModelError(AnfragenError):
    """The embedding model cannot be obtained or fails its self-check."""


class IndexDamagedError(AnfragenError):
    """The index directory exists but a file in it cannot be read as expected."""
