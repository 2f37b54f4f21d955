"""Codebooks are read with libyaml's parser first: the same Codebook as the pure-Python reader, and anything
wrong is left to the pure-Python reader, whose messages (with line numbers) the problems quote."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coding import codebook
from coding.errors import CodebookError
from coding.resources import default_codebook
from coding.safe_yaml import load_yaml

pytestmark = pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="PyYAML without libyaml")


def slow(text: str, path: str) -> codebook.Codebook:
    return codebook.codebook_from_dict(load_yaml(text, codebook._LineLoader), path, check_patterns=False)


def test_the_fast_reader_gives_the_codebook_the_pure_python_reader_gives() -> None:
    text = default_codebook().read_text(encoding="utf-8")
    fast = codebook._fast_codebook(text, "book.yaml", check_patterns=False)
    assert fast is not None and len(fast.codes) > 10
    assert fast == slow(text, "book.yaml")
    data = load_yaml(text, codebook._FastLineLoader)  # line numbers kept as the pure-Python loader keeps them
    reference = load_yaml(text, codebook._LineLoader)
    assert data["codes"].item_lines == reference["codes"].item_lines
    assert data["codes"][2].key_lines == reference["codes"][2].key_lines


@pytest.mark.parametrize(
    "text",
    [
        'name: x\nversion: "1"\ncodes:\n  - id: a\n    name: A\n  - id: a\n    name: B\n',  # a problem
        'name: x\nversion: "1"\nname: y\ncodes: []\n',  # a duplicate key
        "name: [x\n",  # a syntax error
        'name: x\nversion: "1"\ndescription: "\x07"\ncodes: []\n',  # a character PyYAML refuses
        'name: x\t\nversion: "1"\ncodes: []\n',  # a trailing tab, which libyaml accepts and PyYAML refuses
        'name: x\t# a comment\nversion: "1"\ncodes: []\n',  # a tab before a comment
        'name: x\nversion: "1"\ncodes: [\t]\n',  # a tab inside a flow list
        'name: x\nversion: "1"\ndescription: ' + "[" * 1200 + "]" * 1200 + "\ncodes: []\n",  # beyond libyaml's depth
    ],
)
def test_anything_wrong_is_read_again_by_the_pure_python_reader(text: str, tmp_path: Path) -> None:
    assert codebook._fast_codebook(text, "book.yaml", check_patterns=False) is None
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as raised:
        codebook.load_codebook(path, check_patterns=False)
    assert str(path) in str(raised.value)
