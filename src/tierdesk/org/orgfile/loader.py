"""Reading an org file: YAML into plain values plus the line of every value.

The composed node tree is walked by hand instead of ``yaml.safe_load`` so that every value
keeps its line (errors read ``org.yaml:42: teams[3].parent: …``), duplicate keys are reported
instead of silently overwritten, and alias bombs or self-referencing aliases end in a clean
error instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_NODES = 200_000  # far above any real organisation; stops "billion laughs" alias bombs
MAX_DEPTH = 40
#: libyaml's parser when PyYAML was built with it (ten times faster on big organisations).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAGS = frozenset({"tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({"tag:yaml.org,2002:seq"})


@dataclass(frozen=True)
class Issue:
    """One problem in an org file, at a line, on a dotted path such as ``teams[3].parent``."""

    line: int
    path: str
    message: str

    def __str__(self) -> str:
        """``LINE: path: message``; prefix it with ``FILE:`` for the full form."""
        return (
            f"{self.line}: {self.path}: {self.message}"
            if self.path
            else (f"{self.line}: {self.message}")
        )

    def format(self, filename: str) -> str:
        where = f"{filename}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class Document:
    """Plain values of an org file and the line where each path's value (and key) starts."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int:
        """The line of ``path``, else of its nearest ancestor that has one, else 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1

    def key_line(self, path: str) -> int:
        return self.key_lines.get(path) or self.line(path)


class _Stop(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Builder:
    def __init__(self) -> None:
        self.doc = Document(data=None)
        self.issues: list[Issue] = []
        self.count = 0
        self.constructor = SafeConstructor()

    def build(self, node: Node, path: str, depth: int) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise _Stop(Issue(line, path, f"too many values (more than {MAX_NODES})"))
        if depth > MAX_DEPTH:  # a self-referencing alias ends here too; name its section only
            section = path.split("[")[0].split(".")[0]
            raise _Stop(Issue(line, section, f"nested deeper than {MAX_DEPTH} levels"))
        self.doc.lines[path] = line
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag not in _SEQ_TAGS:
                self.issues.append(Issue(line, path, f"unsupported YAML tag {node.tag!r}"))
                return None
            return [
                self.build(item, child(path, i), depth + 1) for i, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            if node.tag not in _MAP_TAGS:
                self.issues.append(Issue(line, path, f"unsupported YAML tag {node.tag!r}"))
                return None
            return self._mapping(node, path, depth)
        self.issues.append(Issue(line, path, "unsupported YAML node"))  # pragma: no cover
        return None

    def _scalar(self, node: ScalarNode, path: str) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:  # e.g. a date 2025-02-30
            line = node.start_mark.line + 1
            self.issues.append(Issue(line, path, f"not a valid value: {_first_line(exc)}"))
            return None

    def _mapping(self, node: MappingNode, path: str, depth: int) -> dict[str, Any]:
        self.constructor.flatten_mapping(node)  # resolves "<<" merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = self._scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.issues.append(Issue(key_line, path, f"keys must be text, got {key!r}"))
                continue
            sub = child(path, key)
            if key in result:
                first = self.doc.key_lines.get(sub, key_line)
                self.issues.append(Issue(key_line, sub, f"duplicate key (first at line {first})"))
                continue
            self.doc.key_lines[sub] = key_line
            result[key] = self.build(value_node, sub, depth + 1)
        return result


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "problem", None) or exc)
    return " ".join(text.split())


def _mark_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    return 1


def load(text: str | bytes) -> tuple[Document, list[Issue]]:
    """Parse ``text``; on any issue the document may be partial and must not be applied."""
    builder = _Builder()
    try:
        root = yaml.compose(text, Loader=_LOADER)
        if root is None:
            return builder.doc, [Issue(1, "", "the file is empty; it needs at least 'teams'")]
        builder.doc.data = builder.build(root, "", 0)
    except _Stop as stop:
        return builder.doc, [*builder.issues, stop.issue]
    except yaml.YAMLError as exc:
        issue = Issue(_mark_line(exc), "", f"YAML: {_first_line(exc)}")
        return builder.doc, [*builder.issues, issue]
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a timestamp out of range
        return builder.doc, [*builder.issues, Issue(1, "", f"YAML: {exc}")]
    if not isinstance(builder.doc.data, dict) and not builder.issues:
        builder.issues.append(Issue(1, "", "expected a mapping with at least 'teams'"))
    return builder.doc, builder.issues
