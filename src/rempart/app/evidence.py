"""Use cases of the evidence pack: export an incident's pack, verify one, record a hand-over."""

from __future__ import annotations

import json
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

from rempart.app.crisis import crisis_text, record_system
from rempart.cases import CaseStore
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.recover import crisis as chain
from rempart.recover.board import Board
from rempart.recover.evidence import (
    EvidenceFile,
    PackResult,
    append_custody,
    custody_of,
    find_originals,
    findings_of,
    verify_pack_at,
    write_pack,
)
from rempart.store import Store, Workspace

__all__ = ["SYSTEM_ACTOR", "PackResult", "count_files", "custody", "export", "handover", "verify"]


def _evidence_text(case_id: str, name: str, digest: str, recipient: str | None) -> str:
    """The crisis log's entry for an evidence export, in the log's language."""
    text = crisis_text("crisis.evidence", case=case_id, name=name, digest=digest)
    return crisis_text("crisis.evidence_for", text=text, recipient=recipient) if recipient else text


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


def export(
    workspace: Path | str | None,
    incident: str,
    out: Path,
    *,
    actor: str = SYSTEM_ACTOR,
    recipient: str = "",
    clock: Clock = SYSTEM_CLOCK,
) -> PackResult:
    """Gather everything that supports the incident and write the pack (folder or .zip)."""
    ws = Workspace.at(workspace, create=False)
    cases = CaseStore.open(ws.root, now=clock.now)
    case_id = cases.case_id(incident)
    inc = cases.incident(case_id)
    findings: list[dict[str, Any]] = []
    originals = []
    if ws.db_path.exists():
        with Store(ws.db_path, read_only=True) as store:
            findings = findings_of(store, inc.finding_uids)
            originals = find_originals(store, findings)
    trail = [
        asdict(r)
        for r in cases.audit_trail()
        if r.object_id == case_id
        or r.object_id.startswith(f"{case_id}:")
        or r.object_id.startswith(f"{inc.id}:")
        or r.details.get("incident") in (case_id, inc.id)
    ]
    entries = chain.entries(cases)
    report = chain.verify_entries(entries)
    board = Board(cases, case_id)
    files = [
        EvidenceFile("incident.json", inc.to_json().encode("utf-8") + b"\n"),
        EvidenceFile("findings.json", _dump(findings)),
        EvidenceFile("decisions.json", _dump(trail)),
        EvidenceFile(
            "crisis-log.jsonl",
            b"".join(chain.canonical(e.to_dict()) + b"\n" for e in entries),
        ),
        EvidenceFile("crisis-verify.json", _dump(asdict(report))),
        EvidenceFile("board-history.json", _dump([asdict(m) for m in board.history()])),
        EvidenceFile("board.csv", board.to_csv().encode("utf-8")),
    ]
    exports = ws.root / "exports"
    if exports.is_dir():
        for p in sorted(exports.iterdir()):
            if p.is_file() and (p.name.startswith(inc.id) or p.name.startswith(case_id)):
                files.append(EvidenceFile(f"exports/{p.name}", p.read_bytes()))
    html = _report_html(case_id, inc.title, actor, recipient, clock, len(findings), report.head)
    result = write_pack(
        out, incident_id=case_id, files=files, originals=originals, report_html=html,
        actor=actor, recipient=recipient, now=clock.now(),
    )  # fmt: skip
    details = {"out": str(out), "manifest_sha256": result.manifest_sha256, "for": recipient}
    cases.audit(actor, "evidence.export", "incident", case_id, details)
    record_system(
        ws.root,
        _evidence_text(case_id, out.name, result.manifest_sha256[:16], recipient),
        [f"incident:{case_id}"],
        actor=actor,
    )
    return result


def _report_html(
    case_id: str, title: str, actor: str, recipient: str, clock: Clock, findings: int, head: str
) -> str:
    now = clock.now().strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
        "<title>Paquet de preuves</title><style>body{font-family:'DejaVu Sans',sans-serif;"
        "font-size:9pt;margin:1.2cm} td,th{border:1px solid #bbb;padding:2px 4px}"
        "table{border-collapse:collapse} .hash{font-family:monospace;font-size:7pt}</style>"
        f"</head><body><h1>Paquet de preuves — {escape(case_id)}</h1>"
        f"<p>{escape(title)}</p><p>Exporté le {now} par {escape(actor)}"
        + (f" pour {escape(recipient)}" if recipient else "")
        + f".</p><p>{findings} constat(s). Empreinte de tête de la main courante : "
        f"<span class='hash'>{head}</span></p>"
        "<p>Le manifeste (manifest.json) est joint à ce PDF ; <code>python verify.py</code> "
        "dans le paquet vérifie chaque fichier et la chaîne de garde.</p>"
        "<h2>Manifeste</h2><!--MANIFEST--></body></html>"
    )


def verify(pack: Path) -> list[str]:
    """[] when the pack is intact; else each problem (changed, missing, added file...)."""
    return verify_pack_at(pack)


def handover(
    pack: Path, *, to: str, actor: str = SYSTEM_ACTOR, note: str = "", clock: Clock = SYSTEM_CLOCK
) -> None:
    """Append a hand-over to the pack's chain of custody (after checking the pack)."""
    append_custody(
        pack,
        {
            "action": "handover",
            "at": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "by": actor,
            "to": to,
            "note": note,
        },
    )


def custody(pack: Path) -> list[dict[str, Any]]:
    return custody_of(pack)


def count_files(pack: Path) -> int:
    from rempart.recover.verify_pack import read_pack

    files, _ = read_pack(pack)
    return len(files)
