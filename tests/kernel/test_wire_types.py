"""The two sides of the wire agree: kinds, protocol version and every request's fields.

``chatwidget/_protocol.py`` (the kinds), ``chatwidget/_wire_requests.py`` (``REQUESTS``, one
TypedDict per kind) and ``js/src/protocol.ts`` (the ``Requests`` interface and the kind
constants) are written by hand; this test reads the TypeScript source and fails on any
difference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatwidget import _protocol as wire

TS = (Path(__file__).resolve().parents[2] / "js" / "src" / "protocol.ts").read_text()


def _ts_requests() -> dict[str, dict[str, bool]]:
    """``{kind: {field: required}}`` from the ``Requests`` interface."""
    body = re.search(r"export interface Requests \{(.*?)\n\}", TS, re.S)
    assert body, "protocol.ts has no Requests interface"
    kinds: dict[str, dict[str, bool]] = {}
    for kind, fields in re.findall(r"^\s*(\w+): (\{.*?\}|Record<string, never>);", body.group(1), re.M):
        inner = "" if fields.startswith("Record") else fields[1:-1]
        kinds[kind] = {}
        depth, start = 0, 0
        parts = []
        for i, ch in enumerate(inner):  # split on top-level semicolons only
            depth += (ch in "{<(" and 1) or (ch in "}>)" and -1) or 0
            if ch == ";" and depth == 0:
                parts.append(inner[start:i])
                start = i + 1
        parts.append(inner[start:])
        for part in filter(str.strip, parts):
            name, optional = re.match(r"\s*(\w+)(\??):", part).groups()  # type: ignore[union-attr]
            kinds[kind][name] = not optional
    return kinds


def _py_requests() -> dict[str, dict[str, bool]]:
    return {
        kind: {
            **dict.fromkeys(shape.__required_keys__, True),  # type: ignore[attr-defined]
            **dict.fromkeys(shape.__optional_keys__, False),  # type: ignore[attr-defined]
        }
        for kind, shape in wire.REQUESTS.items()
    }


def test_the_protocol_versions_match() -> None:
    assert re.search(r'export const PROTOCOL_VERSION = "([^"]+)"', TS).group(1) == wire.PROTOCOL_VERSION  # type: ignore[union-attr]


def test_both_sides_know_the_same_request_kinds() -> None:
    ts_constants = set(re.findall(r'export const [A-Z_]+ = "(\w+)" as const;', TS))
    assert ts_constants == set(wire.REQUEST_KINDS)
    assert set(_ts_requests()) == set(wire.REQUESTS) == set(wire.REQUEST_KINDS)


@pytest.mark.parametrize("kind", sorted(wire.REQUESTS))
def test_every_request_has_the_same_fields_on_both_sides(kind: str) -> None:
    assert _ts_requests()[kind] == _py_requests()[kind]


def test_every_request_kind_has_a_handler() -> None:
    from chatwidget._requests import HANDLED_ELSEWHERE, HANDLERS

    assert set(HANDLERS) | set(HANDLED_ELSEWHERE) == set(wire.REQUEST_KINDS)
