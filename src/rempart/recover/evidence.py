"""The evidence pack: what supports an incident, hashed, with its chain of custody.

Layout (a folder, or the same as a deterministic zip):

    manifest.json      canonical JSON: every other file with its SHA-256 and size
    custody.jsonl      the chain of custody (export, then each hand-over), chained by SHA-256
    report.pdf         a readable report (PDF/A-3b) with manifest.json attached
    verify.py          a standard-library-only checker (`python verify.py`)
    incident.json, findings.json, decisions.json (plans and their confirmations, the audit
    trail of the incident), crisis-log.jsonl, board-history.json, board.csv,
    exports/…          the plan exports written for the incident,
    originals/<sha256>-<name>   the ingested files the findings rest on, found by the digests
                       of the store's ingest log (a file changed since ingest is not taken)

The checks are those of `verify.py` (`rempart.recover.verify_pack`), run here too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from rempart.core.errors import RempartError
from rempart.recover import verify_pack
from rempart.recover.crisis import canonical
from rempart.schema import EVENT_CLASSES
from rempart.store import Store

__all__ = [
    "EvidenceError",
    "EvidenceFile",
    "Original",
    "PackResult",
    "append_custody",
    "custody_entry",
    "find_originals",
    "findings_of",
    "verify_pack_at",
    "write_pack",
]

FORMAT = "rempart-evidence/1"


class EvidenceError(RempartError):
    """A pack that cannot be written or extended (exists, or does not verify)."""


@dataclass(frozen=True)
class EvidenceFile:
    path: str  # inside the pack, POSIX
    data: bytes


@dataclass(frozen=True)
class Original:
    sha256: str
    path: str  # where it was ingested from
    source: str
    found: bool  # the file is still there with the same digest


@dataclass(frozen=True)
class PackResult:
    path: Path
    files: int
    manifest_sha256: str
    originals: tuple[Original, ...]


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


def findings_of(store: Store, uids: tuple[str, ...]) -> list[dict[str, Any]]:
    """The findings rows of an incident (by uid), as JSON-ready dicts."""
    if not uids:
        return []
    rows = store.sql(
        "SELECT * FROM finding WHERE list_contains($u, finding_uid) "
        "ORDER BY first_seen, finding_uid",
        {"u": list(uids)},
    ).to_pylist()
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows
    ]


def find_originals(store: Store, findings: list[dict[str, Any]]) -> list[Original]:
    """The ingested files behind the findings' evidence: the source files of the events they
    cite, matched to the ingest log, kept when the file on disk still has the logged digest."""
    by_class: dict[str, set[str]] = {}
    for f in findings:
        cls = f.get("evidence_class")
        if isinstance(cls, str) and cls in EVENT_CLASSES and f.get("evidence"):
            by_class.setdefault(cls, set()).update(str(u) for u in f["evidence"])
    paths: set[str] = set()
    for cls, uids in sorted(by_class.items()):
        # `cls` is one of the schema's table names (checked above), never input text.
        rows = store.sql(
            f"SELECT DISTINCT source_file FROM {cls} WHERE list_contains($u, event_uid)",
            {"u": sorted(uids)},
        ).to_pylist()
        paths.update(str(r["source_file"]) for r in rows if r["source_file"])
    if not paths:
        return []
    log = store.sql(
        "SELECT file_sha256, path, source FROM ingest_log WHERE list_contains($p, path) "
        "ORDER BY path, file_sha256",
        {"p": sorted(paths)},
    ).to_pylist()
    out = []
    for r in log:
        p = Path(str(r["path"]))
        found = p.is_file() and _file_sha256(p) == r["file_sha256"]
        out.append(Original(str(r["file_sha256"]), str(r["path"]), str(r["source"]), found))
    return out


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def custody_entry(seq: int, prev: str, body: dict[str, Any]) -> bytes:
    entry = {**body, "seq": seq, "prev": prev}
    entry["hash"] = hashlib.sha256(verify_pack.canonical(entry)).hexdigest()
    return verify_pack.canonical(entry) + b"\n"


def write_pack(
    out: Path,
    *,
    incident_id: str,
    files: list[EvidenceFile],
    originals: list[Original],
    report_html: str,
    actor: str,
    recipient: str,
    now: datetime,
) -> PackResult:
    """Write the pack (folder, or zip when `out` ends in .zip) and return its manifest digest."""
    from rempart.report.pdf import html_to_pdf

    content: dict[str, bytes] = {f.path: f.data for f in files}
    for o in originals:
        if o.found:
            content[f"originals/{o.sha256[:16]}-{Path(o.path).name}"] = Path(o.path).read_bytes()
    content["verify.py"] = (
        resources.files("rempart.recover").joinpath("verify_pack.py").read_bytes()
    )
    manifest = {
        "format": FORMAT,
        "incident": incident_id,
        "created": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_by": actor,
        "originals": [
            {"sha256": o.sha256, "ingested_from": o.path, "source": o.source, "included": o.found}
            for o in originals
        ],
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(content.items())
        ],
    }
    raw_manifest = verify_pack.canonical(manifest)
    assert raw_manifest == canonical(manifest)  # the std-lib form is RFC 8785 for these values
    html = report_html.replace("<!--MANIFEST-->", _manifest_table(manifest))
    report = html_to_pdf(html, attachments=[("manifest.json", raw_manifest)])
    content["manifest.json"] = raw_manifest
    content["report.pdf"] = report
    manifest_sha = hashlib.sha256(raw_manifest).hexdigest()
    content["custody.jsonl"] = custody_entry(
        1,
        verify_pack.GENESIS,
        {
            "action": "export",
            "at": manifest["created"],
            "by": actor,
            "for": recipient,
            "manifest_sha256": manifest_sha,
            "report_sha256": hashlib.sha256(report).hexdigest(),
        },
    )
    _write(out, content)
    return PackResult(out, len(content), manifest_sha, tuple(originals))


def _manifest_table(manifest: dict[str, Any]) -> str:
    from html import escape

    rows = "".join(
        f"<tr><td>{escape(f['path'])}</td><td class='hash'>{f['sha256']}</td>"
        f"<td>{f['size']}</td></tr>"
        for f in manifest["files"]
    )
    return f"<table><tr><th>fichier</th><th>SHA-256</th><th>octets</th></tr>{rows}</table>"


def _write(out: Path, content: dict[str, bytes]) -> None:
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(verify_pack.deterministic_zip(content))
        return
    if out.exists() and any(out.iterdir()):
        raise EvidenceError(f"{out} exists and is not empty: give a new folder or a .zip")
    for name, data in content.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def append_custody(pack: Path, body: dict[str, Any]) -> None:
    """A hand-over appended to the chain of custody (the pack must verify first)."""
    problems = verify_pack_at(pack)
    if problems:
        raise EvidenceError("the pack does not verify: " + "; ".join(problems))
    files, _ = verify_pack.read_pack(pack)
    lines = files["custody.jsonl"].split(b"\n")[:-1]
    last = json.loads(lines[-1])
    files["custody.jsonl"] += custody_entry(len(lines) + 1, str(last["hash"]), body)
    if pack.is_dir():
        (pack / "custody.jsonl").write_bytes(files["custody.jsonl"])
    else:
        pack.write_bytes(verify_pack.deterministic_zip(files))


def verify_pack_at(pack: Path) -> list[str]:
    """The problems of a pack ([] when intact): the checks of its verify.py."""
    if not pack.exists():
        return [f"no pack at {pack}"]
    return verify_pack.verify(pack)


def custody_of(pack: Path) -> list[dict[str, Any]]:
    files, _ = verify_pack.read_pack(pack)
    raw = files.get("custody.jsonl", b"")
    return [json.loads(line) for line in raw.split(b"\n") if line.strip()]
