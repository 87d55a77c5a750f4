"""A log or a mailbox that grew since it was ingested (issue 21, defect 8): the second
ingest adds only the new records, and says so; a file whose beginning changed is new."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app
from rempart.ingest.files import FileStatus, ingest_file
from rempart.store import Store, Workspace

HEAD = (
    "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
    "id.resp_p\tproto\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
)


def conn_log(n: int) -> bytes:
    rows = "".join(
        f"{1552291200 + i}.5\tC{i}\t10.0.{i % 200}.1\t{40000 + i}\t10.9.0.10\t445\ttcp\tSF\n"
        for i in range(n)
    )
    return (HEAD + rows).encode()


def mbox(n: int) -> bytes:
    out = b""
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = f"expediteur{i}@exemple.fr"
        msg["To"] = "bob@chu-test.fr"
        msg["Subject"] = f"Message {i}"
        msg["Message-ID"] = f"<m{i}@exemple.fr>"
        msg["Date"] = "Mon, 11 Mar 2019 09:00:00 +0100"
        msg.set_content(f"Corps du message {i}.")
        out += b"From expediteur@exemple.fr Mon Mar 11 09:00:00 2019\n" + msg.as_bytes() + b"\n"
    return out


def test_grown_conn_log_adds_only_its_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    store = Store.memory()
    path.write_bytes(conn_log(1000))
    first = ingest_file(store, path)
    assert first.records == 1000 and first.already_records is None
    path.write_bytes(conn_log(2000))
    second = ingest_file(store, path)
    assert second.status is FileStatus.INGESTED
    assert (second.records, second.already_records) == (1000, 1000)
    assert store.count("network_flow") == 2000
    lines = store.sql("SELECT min(source_line) AS lo, max(source_line) AS hi FROM network_flow")
    assert lines.to_pylist() in ([{"lo": None, "hi": None}], [{"lo": 5, "hi": 2004}])
    assert ingest_file(store, path).status is FileStatus.ALREADY
    path.write_bytes(conn_log(2500))  # grows again: the chain of earlier parts counts
    third = ingest_file(store, path)
    assert (third.records, third.already_records) == (500, 2000)
    assert store.count("network_flow") == 2500


def test_grown_mbox_adds_only_its_new_messages(tmp_path: Path) -> None:
    path = tmp_path / "inbox"
    store = Store.memory()
    path.write_bytes(mbox(3))
    assert ingest_file(store, path).records == 3
    path.write_bytes(mbox(5))
    second = ingest_file(store, path)
    assert (second.records, second.rejected, second.already_records) == (2, 0, 3)
    subjects = store.sql("SELECT subject FROM email ORDER BY source_line").to_pylist()
    assert [r["subject"] for r in subjects] == [f"Message {i}" for i in range(5)]


def test_a_changed_beginning_is_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    store = Store.memory()
    path.write_bytes(conn_log(100))
    ingest_file(store, path)
    path.write_bytes(conn_log(150).replace(b"\tC0\t", b"\tCX\t"))  # rotated, rewritten
    res = ingest_file(store, path)
    assert (res.records, res.already_records) == (150, None)


def test_the_cli_says_new_and_already_ingested(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    path = tmp_path / "conn.log"
    path.write_bytes(conn_log(1000))
    runner = CliRunner()
    args = ["ingest", str(path), "--workspace", str(ws.root), "--lang", "en"]
    assert runner.invoke(app, args).exit_code == 0
    path.write_bytes(conn_log(2000))
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "1,000 new records, 1,000 already ingested" in res.output
