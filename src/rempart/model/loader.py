"""Load and validate hospital.yaml, reporting every problem with its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rempart.core.errors import Location, ModelError
from rempart.model.hospital import Asset, Hospital, Loc
from rempart.model.inventory import read_inventory

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the YAML node at `loc` (deepest existing ancestor)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    line = key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_hospital(path: Path | str) -> Hospital:
    """Parse `path`, validate it and its inventories; raise ModelError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelError([(Location(str(path)), f"cannot read: {exc.strerror}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # (a file saved as Latin-1 or Windows-1252 by an editor): say where, and how to fix
        at_line = raw.count(b"\n", 0, exc.start) + 1
        msg = (
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} (line {at_line}); "
            "save the file as UTF-8"
        )
        raise ModelError([(Location(str(path), at_line, exc.start), msg)]) from exc
    try:
        root = yaml.compose(text, Loader=_Loader)
        data: Any = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise ModelError([(Location(str(path), line), f"YAML syntax: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ModelError([(Location(str(path), 1), "top level must be a mapping")])
    try:
        hospital = Hospital.model_validate(data, context={"skip_references": True})
    except ValidationError as exc:
        found: list[tuple[Location, str]] = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc) or "(top)"
            found.append((Location(str(path), _line_of(root, loc)), f"{where}: {err['msg']}"))
        raise ModelError(found) from exc

    asset_locs: list[Location] = [
        Location(str(path), _line_of(root, ("assets", i))) for i in range(len(hospital.assets))
    ]
    problems: list[tuple[Location, str]] = []
    extra: list[Asset] = []
    for inv in hospital.inventories:
        inv_path = (path.parent / inv.path).resolve()
        if not inv_path.is_file():
            line = _line_of(root, ("inventories",))
            problems.append((Location(str(path), line), f"inventory not found: {inv.path}"))
            continue
        result = read_inventory(inv_path, hospital.zones, inv.format)
        extra.extend(result.assets)
        asset_locs.extend(result.locations)
        problems.extend(result.problems)
    if extra:
        hospital = hospital.model_copy(update={"assets": hospital.assets + tuple(extra)})
    for loc, msg in hospital.reference_problems():
        if loc[0] == "assets" and isinstance(loc[1], int):
            problems.append((asset_locs[loc[1]], msg))
        else:
            problems.append((Location(str(path), _line_of(root, loc)), msg))
    if problems:
        raise ModelError(problems)
    return hospital
