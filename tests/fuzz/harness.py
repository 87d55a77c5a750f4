"""The mutation harness: small sample files of every format, one mutated line each, judged.

Shared by the bounded Hypothesis tests (`tests/fuzz/test_mutations.py`) and the long run
(`bench/fuzz_sources.py`, `make fuzz`). Every sample is written here, never copied from a
corpus (the hospital model is the package's own example). A case is a format, a mutation
(bit flip, truncation, insertion, duplication, invalid UTF-8, stray CR, NUL, file cut) and
where it lands; `run_case` ingests or loads the mutated file into a fresh in-memory store or
loader and `judge` says what went wrong, if anything:

- crash: an exception that is not a RempartError escaped (or ended the file's ingest);
- loss: a file with one mutated record line lost more than that record (a whole-file
  loss, or any other record lost);

the rule of `docs/reliability.md`.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rempart.store import Store

MUTATIONS = (
    "bitflip",
    "truncate",
    "insert",
    "duplicate",
    "invalid_utf8",
    "cr",
    "nul",
    "cut_file",
)

T0 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
REFERENCE = T0 + timedelta(days=1)


@dataclass(frozen=True)
class Sample:
    """A file to mutate: its name, bytes, and which record each line belongs to."""

    name: str
    data: bytes
    # per line (split on LF), the index of the record it belongs to, or None (a header)
    owners: tuple[int | None, ...]


@dataclass(frozen=True)
class Outcome:
    records: int | None  # records read; None when the file failed whole (or was refused)
    error: str | None = None
    crash: str | None = None  # an exception that is not a RempartError


@dataclass(frozen=True)
class Case:
    fmt: str
    mutation: str
    line: int  # index into the sample's record lines (modulo their number)
    position: int  # byte position in that line (modulo its length)
    payload: bytes = b""  # inserted bytes


# --- samples -------------------------------------------------------------------------


def _lines(header: list[str], rows: list[str]) -> Sample:
    return Sample(
        "",
        ("\n".join(header + rows) + "\n").encode(),
        tuple([None] * len(header) + list(range(len(rows)))),
    )


def _named(name: str, sample: Sample) -> Sample:
    return Sample(name, sample.data, sample.owners)


def zeek_tsv() -> Sample:
    header = [
        "#separator \\x09",
        "#path\tconn",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t"
        "duration\torig_bytes\tresp_bytes\tconn_state",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
        "string",
    ]
    rows = [
        f"{1552291200 + 7 * i}.{i:06d}\tC{i:04d}x\t10.1.{i % 9}.{10 + i}\t{40000 + i}\t"
        f"10.9.0.{10 + i % 3}\t{(445, 443, 53)[i % 3]}\t{('tcp', 'tcp', 'udp')[i % 3]}\t"
        f"{('smb', 'ssl', 'dns')[i % 3]}\t0.{i:03d}\t{100 + i}\t{2000 + i}\tSF"
        for i in range(30)
    ]
    return _named("conn.log", _lines(header, rows))


def zeek_json() -> Sample:
    rows = [
        json.dumps(
            {
                "ts": 1552291200.5 + 7 * i,
                "uid": f"C{i:04d}y",
                "id.orig_h": f"10.1.{i % 9}.{i}",
                "id.orig_p": 40000 + i,
                "id.resp_h": "10.9.0.10",
                "id.resp_p": 445,
                "proto": "tcp",
                "service": "smb",
                "duration": 0.25,
                "orig_bytes": 100 + i,
                "resp_bytes": 2000,
                "conn_state": "SF",
                "orig_pkts": 3,
                "resp_pkts": 4,
            }
        )
        for i in range(30)
    ]
    return _named("conn.json", _lines([], rows))


def eve() -> Sample:
    rows = [
        json.dumps(
            {
                "timestamp": f"2019-03-11T08:{i // 60:02d}:{i % 60:02d}.000000+0100",
                "flow_id": 900000 + i,
                "event_type": "flow",
                "src_ip": f"10.1.0.{10 + i}",
                "src_port": 50000 + i,
                "dest_ip": "10.9.0.20",
                "dest_port": 443,
                "proto": "TCP",
                "app_proto": "tls",
                "flow": {
                    "pkts_toserver": 5,
                    "pkts_toclient": 4,
                    "bytes_toserver": 600,
                    "bytes_toclient": 4000,
                    "start": "2019-03-11T08:00:00.000000+0100",
                    "end": "2019-03-11T08:00:02.000000+0100",
                    "state": "closed",
                    "reason": "timeout",
                    "alerted": False,
                },
            }
        )
        for i in range(30)
    ]
    return _named("eve.json", _lines([], rows))


def _message(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Expéditeur {i} <expediteur{i}@fournisseur-exemple.fr>"
    msg["To"] = "bob@chu-test.fr"
    msg["Subject"] = f"Facture n°{i} à régler"
    msg["Message-ID"] = f"<m{i}@fournisseur-exemple.fr>"
    msg["Date"] = "Mon, 11 Mar 2019 09:00:00 +0100"
    msg.set_content(f"Bonjour, veuillez trouver la facture {i} : https://factures.exemple.fr/{i}")
    msg.add_alternative(f"<p>Facture <a href='https://factures.exemple.fr/{i}'>{i}</a></p>",
                        subtype="html")  # fmt: skip
    msg.add_attachment(b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf",
                       filename=f"facture-{i}.pdf")  # fmt: skip
    return msg.as_bytes()


def eml() -> Sample:
    data = _message(0)
    return Sample("message.eml", data, tuple([0] * data.count(b"\n") + [0]))


def mbox() -> Sample:
    data = b""
    owners: list[int | None] = []
    for i in range(5):
        block = b"From expediteur@exemple.fr Mon Mar 11 09:00:00 2019\n" + _message(i) + b"\n"
        data += block
        owners += [i] * block.count(b"\n")
    return Sample("inbox.mbox", data, (*owners, None))


def mail_auth() -> Sample:
    rows = []
    for i in range(20):
        t = (T0 + timedelta(seconds=20 * i)).strftime("%b %d %H:%M:%S")
        ok = i % 3 == 0
        what = "Login:" if ok else "Disconnected (auth failed, 1 attempts in 2 secs):"
        rows.append(
            f"{t} mx dovecot[12]: imap-login: {what} user=<u{i}@chu-test.fr>, method=PLAIN, "
            f"rip=198.51.100.{i}, lip=10.0.0.5, TLS"
        )
    return _named("mail.log", _lines([], rows))


def postfix() -> Sample:
    rows = []
    owners: list[int | None] = []
    for i in range(6):
        q = f"4F2A{i:02d}"
        t = (T0 + timedelta(minutes=i)).strftime("%b %d %H:%M:%S")
        block = [
            f"{t} mx postfix/smtpd[100]: {q}: client=pc{i}.chu-test.fr[10.1.2.{i}]",
            f"{t} mx postfix/cleanup[101]: {q}: message-id=<m{i}@chu-test.fr>",
            f"{t} mx postfix/qmgr[102]: {q}: from=<p{i}@chu-test.fr>, size=2345, nrcpt=1 "
            "(queue active)",
            f"{t} mx postfix/lmtp[103]: {q}: to=<u{i}@chu-test.fr>, relay=mail.chu-test.fr"
            "[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent "
            f"(250 2.0.0 <u{i}@chu-test.fr> Saved)",
            f"{t} mx postfix/qmgr[102]: {q}: removed",
        ]
        rows += block
        owners += [i] * len(block)
    data = ("\n".join(rows) + "\n").encode()
    return Sample("maillog", data, (*owners, None))


def m365() -> Sample:
    ops = ["UserLoggedIn", "MailItemsAccessed", "MailboxLogin", "UserLoginFailed", "Send"]
    rows = [
        json.dumps(
            {
                "CreationTime": f"2026-03-11T09:{i:02d}:00",
                "Id": f"id-{i}",
                "Operation": ops[i % len(ops)],
                "Workload": "Exchange",
                "UserId": f"u{i}@chu-test.fr",
                "ClientIP": f"203.0.113.{i}",
                "ResultStatus": "Succeeded",
            }
        )
        for i in range(20)
    ]
    return _named("audit.json", _lines([], rows))


def winjson() -> Sample:
    rows = [
        json.dumps(
            {
                "@timestamp": f"2026-01-01T10:{i:02d}:00Z",
                "Hostname": f"PC{i % 4}",
                "Channel": "Security",
                "EventID": 4624 + i % 3,
                "EventRecordID": 100 + i,
                "TargetUserName": f"user{i}",
                "IpAddress": f"10.1.0.{i}",
            }
        )
        for i in range(20)
    ]
    return _named("events.json", _lines([], rows))


def inventory() -> Sample:
    header = ["hostname,ip,zone,kind,os,criticality,role,user"]
    rows = [
        f"pc-{i:04d},10.1.0.{10 + i},bat-a,workstation,Windows 10,medium,,u{i}@chu-test.fr"
        for i in range(20)
    ]
    return _named("inventory.csv", _lines(header, rows))


def hospital() -> Sample:
    text = resources.files("rempart.model.examples").joinpath("hospital.yaml").read_bytes()
    text = text.replace(b"inventories:", b"inventories_unused:")  # (the inventory is its own)
    return Sample("hospital.yaml", text, tuple([None] * (text.count(b"\n") + 1)))


def situation() -> Sample:
    data = json.dumps(
        {"observed_at": "2019-03-11T09:40:00Z",
         "infected": [{"ip": "10.1.0.23"}, {"ip": "10.1.0.24"}],
         "senders": ["rh@ch-exemp1e.fr"], "indicators": ["203.0.113.66"]},
        indent=1,
    ).encode()  # fmt: skip
    return Sample("situation.json", data, tuple([None] * (data.count(b"\n") + 1)))


def sigma() -> Sample:
    """Three rules in one YAML stream file per rule: the sample is the first rule, the
    others are written beside it unmutated (`_run_sigma`)."""
    text = _sigma_rules()[0]
    return Sample("rule.yml", text, tuple([None] * (text.count(b"\n") + 1)))


@cache
def _sigma_rules() -> tuple[bytes, ...]:
    folder = resources.files("rempart.sigma").joinpath("rules")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yml"))[:3]
    return tuple(folder.joinpath(n).read_bytes() for n in names)


# --- running ---------------------------------------------------------------------------


_STORE: list[object] = []


def fresh_store() -> Store:
    """An in-memory store with no row in any table: made once per process (creating one
    costs half a second), emptied before each run, so no run sees another's records."""
    from rempart.store import Store

    if not _STORE:
        _STORE.append(Store.memory())
    store = _STORE[0]
    assert isinstance(store, Store)
    tables = store.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema = 'main'"
    ).column(0)
    for table in tables.to_pylist():
        store.con.execute(f'DELETE FROM "{table}"')  # (a test may reach the connection)
    return store


def _ingest(path: Path) -> Outcome:
    from rempart.ingest.files import FileStatus, ingest_file

    res = ingest_file(fresh_store(), path, reference=REFERENCE)
    if res.unexpected:
        return Outcome(None, res.error, res.unexpected)
    if res.status is FileStatus.INGESTED:
        return Outcome(res.records)
    return Outcome(None, res.error or res.status.value)


def _loader(load: Callable[[Path], int | None]) -> Callable[[Path], Outcome]:
    def run(path: Path) -> Outcome:
        from rempart.core.errors import RempartError

        try:
            return Outcome(load(path))
        except RempartError as exc:
            return Outcome(None, str(exc))

    return run


def _load_hospital(path: Path) -> int | None:
    from rempart.model.loader import load_hospital

    load_hospital(path)
    return None


def _load_situation(path: Path) -> int | None:
    from rempart.contain.situation import load_situation

    load_situation(path)
    return None


def _load_inventory(path: Path) -> int | None:
    from rempart.model.hospital import Zone
    from rempart.model.inventory import read_inventory

    zones = (Zone(id="bat-a", name="A", cidrs=("10.1.0.0/16",)),)
    return len(read_inventory(path, zones).assets)


def _load_sigma(path: Path) -> int | None:
    from rempart.sigma.engine import load_rules

    for i, other in enumerate(_sigma_rules()[1:]):
        (path.parent / f"other-{i}.yml").write_bytes(other)
    return len(load_rules([path.parent]).rules)


@dataclass(frozen=True)
class Format:
    make: Callable[[], Sample]
    run: Callable[[Path], Outcome]
    # a format whose records are lines (or messages): one mutated line costs at most one
    # record; a configuration file (hospital, situation, a rule) is judged for crashes only
    records: bool = True


FORMATS: dict[str, Format] = {
    "eml": Format(eml, _ingest),
    "mbox": Format(mbox, _ingest),
    "zeek_tsv": Format(zeek_tsv, _ingest),
    "zeek_json": Format(zeek_json, _ingest),
    "eve": Format(eve, _ingest),
    "winjson": Format(winjson, _ingest),
    "mail_auth": Format(mail_auth, _ingest),
    "postfix": Format(postfix, _ingest),
    "m365": Format(m365, _ingest),
    "inventory": Format(inventory, _loader(_load_inventory)),
    "hospital": Format(hospital, _loader(_load_hospital), records=False),
    "situation": Format(situation, _loader(_load_situation), records=False),
    "sigma": Format(sigma, _loader(_load_sigma)),
}
# EVTX: no writer of its binary XML exists here, and a valid record cannot be generated
# without one; damaged EVTX files are covered on the public corpus by
# tests/host/test_sources.py::test_corrupted_evtx_warns_and_reads_the_rest.
SKIPPED = {"evtx": "no EVTX writer to generate a sample (corpus test covers damaged EVTX)"}


@cache
def sample(fmt: str) -> Sample:
    return FORMATS[fmt].make()


@cache
def baseline(fmt: str) -> int | None:
    """Records of the unmutated sample (the harness checks that it is read whole)."""
    return _run_bytes(fmt, sample(fmt).data).records


def mutate(s: Sample, case: Case) -> tuple[bytes, int | None]:
    """The mutated bytes, and the record index the mutated line belongs to (None: a line
    outside any record, judged for crashes only)."""
    lines = s.data.split(b"\n")
    targets = [i for i, o in enumerate(s.owners[: len(lines)]) if o is not None] or list(
        range(len(lines))
    )
    index = targets[case.line % len(targets)]
    line = lines[index]
    owner = s.owners[index] if index < len(s.owners) else None
    at = case.position % (len(line) + 1)
    m = case.mutation
    if m == "bitflip" and line:
        at %= len(line)
        line = line[:at] + bytes([line[at] ^ (1 << (case.position % 8))]) + line[at + 1 :]
    elif m == "truncate":
        line = line[:at]
    elif m == "insert":
        line = line[:at] + case.payload + line[at:]
    elif m == "duplicate":
        return b"\n".join([*lines[:index], line, *lines[index:]]), owner
    elif m == "invalid_utf8":
        line = line[:at] + b"\xff" + line[at + 1 :]
    elif m == "cr":
        line = line[:at] + b"\r" + line[at:]
    elif m == "nul":
        line = line[:at] + b"\x00" + line[at:]
    elif m == "cut_file":
        return b"\n".join([*lines[:index], line[:at]]), owner
    lines[index] = line
    return b"\n".join(lines), owner


def _run_bytes(fmt: str, data: bytes) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="rempart-fuzz-") as tmp:
        path = Path(tmp) / sample(fmt).name
        path.write_bytes(data)
        try:
            return FORMATS[fmt].run(path)
        except Exception as exc:  # an exception out of the ingest or the loader: a crash
            return Outcome(None, f"{type(exc).__name__}: {exc}", type(exc).__name__)


def run_case(case: Case) -> Outcome:
    data, _ = mutate(sample(case.fmt), case)
    return _run_bytes(case.fmt, data)


@dataclass(frozen=True)
class Verdict:
    crash: str | None
    loss: str | None  # why the file lost more than the mutated record


def judge(case: Case, outcome: Outcome, full: int | None = None) -> Verdict:
    """What went wrong with `outcome`; `full`: the clean sample's records (computed when
    not given)."""
    if outcome.crash:
        return Verdict(f"{outcome.crash}: {(outcome.error or '')[:300]}", None)
    fmt = FORMATS[case.fmt]
    s = sample(case.fmt)
    _, owner = mutate(s, case)
    full = baseline(case.fmt) if full is None else full
    if not fmt.records or full is None or owner is None:
        return Verdict(None, None)
    if case.mutation == "cut_file":
        # the records before the cut line are kept (the cut one may be, or not)
        before = len({o for o in s.owners if o is not None and o < owner})
        expected = before
    else:
        expected = full - 1
    if expected <= 0:
        return Verdict(None, None)  # (nothing to keep: a file cut before its first record)
    if outcome.records is None:
        return Verdict(None, f"whole file lost: {(outcome.error or '')[:300]}")
    if outcome.records < expected:
        return Verdict(None, f"{outcome.records} records kept, at least {expected} expected")
    return Verdict(None, None)


def random_case(rng: random.Random, fmt: str) -> Case:
    mutation = rng.choice(MUTATIONS)
    payload = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
    if rng.random() < 0.3:
        payload = rng.choice([b"\n", b"\r\n", b"\xc3", b"\xed\xa0\x80", b'"', b"'", b"\\"])
    return Case(fmt, mutation, rng.randrange(1 << 16), rng.randrange(1 << 16), payload)


__all__ = [
    "FORMATS",
    "MUTATIONS",
    "SKIPPED",
    "Case",
    "Outcome",
    "Sample",
    "Verdict",
    "baseline",
    "judge",
    "mutate",
    "random_case",
    "run_case",
    "sample",
]
