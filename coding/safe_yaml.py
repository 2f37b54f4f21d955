"""YAML from files people hand us, loaded within budgets.

A few hundred bytes of YAML can expand, through anchors and aliases, into billions of values (the "billion
laughs"), and nesting can go deeper than Python's stack. The node graph is composed first (aliases stay
shared, so composing is cheap), walked once to count the values it expands to and how deep it goes, and
only constructed when both are within budget.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_VALUES = 200_000  # a codebook of 500 codes with long examples has a few thousand
MAX_DEPTH = 40


class YamlBudgetError(ValueError):
    """YAML that would expand beyond the budget; the message says which limit and is fit for one line."""


def load_yaml(text: str, loader: type, *, max_values: int = MAX_VALUES, max_depth: int = MAX_DEPTH) -> Any:
    """The YAML document in `text` constructed by `loader` (a SafeLoader kind), or YamlBudgetError.

    yaml.YAMLError propagates as from yaml.load, so callers keep their line-numbered syntax messages.
    """
    instance = loader(text)
    try:
        try:
            node = instance.get_single_node()
        except RecursionError:
            raise YamlBudgetError(f"nested more than {max_depth} levels deep") from None
        if node is None:
            return None
        _check_budget(node, max_values, max_depth)
        return instance.construct_document(node)
    finally:
        instance.dispose()


def _check_budget(root: yaml.Node, max_values: int, max_depth: int) -> None:
    values = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > max_values:
            raise YamlBudgetError(f"expands to more than {max_values:,} values (repeated anchors and aliases?)")
        if depth > max_depth:
            raise YamlBudgetError(f"nested more than {max_depth} levels deep")
        if isinstance(node, yaml.ScalarNode) and "\x00" in node.value:  # "\0" escapes: no backend stores it
            raise YamlBudgetError(f"a value on line {node.start_mark.line + 1} contains a NUL character")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
