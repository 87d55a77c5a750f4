#!/usr/bin/env python3
"""Check a Rempart evidence pack, with nothing but Python's standard library.

Usage: python verify.py [PACK]   (PACK: the pack's folder or .zip; default: this file's folder)

What is checked:
- manifest.json is canonical JSON (RFC 8785 for its values: no floats, ASCII keys) and lists,
  with its SHA-256 and size, every file of the pack but manifest.json and custody.jsonl;
  a changed, missing or added file fails;
- custody.jsonl, the chain of custody, is one canonical JSON object a line, each chained to
  the previous by SHA-256; its first entry names the SHA-256 of manifest.json and report.pdf;
- a .zip pack is byte for byte the zip its content gives (stored, sorted, fixed dates), so
  no byte of the container can change unseen either.
Exit code 0 when intact, 1 otherwise (each problem printed).

This copy is itself listed in the manifest; `rempart evidence verify` runs the same checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

MANIFEST = "manifest.json"
CUSTODY = "custody.jsonl"
REPORT = "report.pdf"
GENESIS = "0" * 64
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def canonical(value: object) -> bytes:
    """RFC 8785 for the values a pack holds (strings, integers, lists, objects)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    """The one zip a set of files gives: stored, sorted by name, fixed dates and attributes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, files[name])
    return buf.getvalue()


def read_pack(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every file of the pack (relative POSIX names) and the problems met reading it."""
    problems: list[str] = []
    files: dict[str, bytes] = {}
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_symlink():
                problems.append(f"symbolic link in the pack: {p.relative_to(path).as_posix()}")
            elif p.is_file():
                files[p.relative_to(path).as_posix()] = p.read_bytes()
        return files, problems
    raw = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                if info.filename in files:
                    problems.append(f"file twice in the zip: {info.filename}")
                files[info.filename] = z.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return {}, [f"not a readable zip: {exc}"]
    if not problems and deterministic_zip(files) != raw:
        problems.append("the zip container was changed (it is not the zip its files give)")
    return files, problems


def check_files(files: dict[str, bytes]) -> list[str]:
    """All the checks on a pack's files; [] when intact."""
    problems: list[str] = []
    raw = files.get(MANIFEST)
    if raw is None:
        return ["manifest.json is missing"]
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [f"manifest.json is not JSON: {exc}"]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return ["manifest.json has no list of files"]
    if canonical(manifest) != raw:
        problems.append("manifest.json is not in canonical form (it was edited)")
    listed: dict[str, dict[str, object]] = {}
    for item in manifest["files"]:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            listed[item["path"]] = item
    for name, item in sorted(listed.items()):
        data = files.get(name)
        if data is None:
            problems.append(f"missing: {name}")
        elif sha256(data) != item.get("sha256") or len(data) != item.get("size"):
            problems.append(f"changed: {name}")
    for name in sorted(set(files) - set(listed) - {MANIFEST, CUSTODY, REPORT}):
        problems.append(f"added: {name}")
    problems += check_custody(files.get(CUSTODY), sha256(raw), files.get(REPORT))
    return problems


def check_custody(raw: bytes | None, manifest_sha: str, report: bytes | None) -> list[str]:
    if raw is None:
        return ["custody.jsonl is missing"]
    problems: list[str] = []
    prev = GENESIS
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        problems.append("custody.jsonl does not end with a newline")
    for n, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problems.append(f"custody.jsonl line {n}: not JSON")
            return problems
        if not isinstance(entry, dict) or canonical(entry) != line:
            problems.append(f"custody.jsonl line {n}: not canonical JSON (edited)")
            return problems
        body = {k: v for k, v in entry.items() if k != "hash"}
        if entry.get("seq") != n or entry.get("prev") != prev:
            problems.append(f"custody.jsonl line {n}: chain broken (missing or reordered)")
            return problems
        if sha256(canonical(body)) != entry.get("hash"):
            problems.append(f"custody.jsonl line {n}: content changed (hash mismatch)")
            return problems
        if n == 1:
            if entry.get("manifest_sha256") != manifest_sha:
                problems.append("manifest.json differs from the one the export recorded")
            if report is not None and entry.get("report_sha256") != sha256(report):
                problems.append("report.pdf differs from the one the export recorded")
            if report is None and entry.get("report_sha256"):
                problems.append("missing: report.pdf")
        prev = str(entry.get("hash"))
    if not lines:
        problems.append("custody.jsonl is empty")
    return problems


def verify(path: Path) -> list[str]:
    files, problems = read_pack(path)
    return problems + (check_files(files) if files or not problems else [])


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    problems = verify(target)
    for p in problems:
        print(f"KO {p}")
    if problems:
        return 1
    print(f"OK {target}: every file matches the manifest, the chain of custody holds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
