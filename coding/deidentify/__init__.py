"""De-identify transcripts before they enter a project: files in, pseudonymised files, key and audit out.

    from coding.deidentify import deidentify_folder
    report = deidentify_folder("raw", "deid", roster="roster.csv", key_path="secret/deid.key.json")

Raw identifying text never enters a project database: run this on the files, then ingest OUT.
"""

from __future__ import annotations

from .folder import apply_review, default_audit_path, default_key_path, deidentify_folder
from .keep_list import KeepList
from .model import DeidReport, FileReport, Kept, Quasi, Replacement, Residual, RosterEntry
from .pseudonyms import DEFAULT_STYLE
from .review import default_review_path, read_review
from .roster import load_keep_file, load_roster

__all__ = [
    "DEFAULT_STYLE",
    "DeidReport",
    "FileReport",
    "KeepList",
    "Kept",
    "Quasi",
    "Replacement",
    "Residual",
    "RosterEntry",
    "apply_review",
    "default_audit_path",
    "default_key_path",
    "default_review_path",
    "deidentify_folder",
    "load_keep_file",
    "load_roster",
    "read_review",
]
