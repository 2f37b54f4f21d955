"""REFI-QDA exchange (QDA-XML 1.0): .qdpx projects and .qdc codebooks to and from plain dataclasses.

Mapping these dataclasses to the project database is done elsewhere; this package only converts files.
"""

from coding.refiqda.codes import (
    code_ids,
    codebook_from_codes,
    codes_from_codebook,
    format_description,
    parse_description,
)
from coding.refiqda.guids import code_guid, qcode_guid
from coding.refiqda.qdc import read_qdc, write_qdc
from coding.refiqda.reader import read_qdpx
from coding.refiqda.safezip import ArchiveLimits
from coding.refiqda.schema import (
    CODEPOINT,
    UTF16,
    VARIABLE_TYPES,
    ImportProblem,
    ImportReport,
    QdaCase,
    QdaCode,
    QdaCoding,
    QdaExportError,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
)
from coding.refiqda.writer import write_qdpx

__all__ = [
    "CODEPOINT",
    "UTF16",
    "VARIABLE_TYPES",
    "ArchiveLimits",
    "ImportProblem",
    "ImportReport",
    "QdaCase",
    "QdaCode",
    "QdaCoding",
    "QdaExportError",
    "QdaNote",
    "QdaProject",
    "QdaSelection",
    "QdaSource",
    "QdaUser",
    "QdaVariable",
    "code_guid",
    "code_ids",
    "codebook_from_codes",
    "codes_from_codebook",
    "format_description",
    "parse_description",
    "qcode_guid",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
]
