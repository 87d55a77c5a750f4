"""`rempart.core.safe`: attacker strings reach a terminal visible, a spreadsheet inert, SQL
as a quoted name."""

from __future__ import annotations

import csv
import io

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.safe import CsvOut, csv_cell, sql_ident, visible, write_csv

NAME = "rapport\x1b[2J\x1b]0;OWNED\x07\u202efdp.exe\x00"


def test_visible_escapes_controls_and_bidi() -> None:
    shown = visible(NAME)
    assert shown == "rapport\\x1b[2J\\x1b]0;OWNED\\x07\\u202efdp.exe\\x00"
    assert visible("a\u2066b\u2069c\u202ad\x7f\x9b") == "a\\u2066b\\u2069c\\u202ad\\x7f\\x9b"
    assert visible("ligne 1\nligne 2", newlines=True) == "ligne 1\nligne 2"
    assert visible("ligne 1\nligne 2") == "ligne 1\\x0aligne 2"
    assert visible("Réunion — été 😀") == "Réunion — été 😀"  # ordinary text untouched


@given(st.text())
def test_visible_leaves_no_control_character(text: str) -> None:
    shown = visible(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_csv_cell_neutralises_formulas() -> None:
    assert csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    for start in ("+", "-", "@"):
        assert csv_cell(start + "1+1") == "'" + start + "1+1"
    assert csv_cell("\t=1") == "\\x09=1"  # made visible first: no longer a leading tab
    assert csv_cell(-3) == -3 and csv_cell(None) is None and csv_cell(2.5) == 2.5
    assert csv_cell(["a", "b"]) == "a;b"
    assert csv_cell("objet\x1b[2J") == "objet\\x1b[2J"


def test_one_writer_for_rows_and_mappings() -> None:
    buf = io.StringIO()
    n = write_csv(
        [{"id": '=HYPERLINK("http://x")', "score": 40}, ("@SUM(A1)", 3)], ["id", "score"], buf
    )
    assert n == 2
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["id", "score"], ['\'=HYPERLINK("http://x")', "40"], ["'@SUM(A1)", "3"]]
    out = io.StringIO()
    CsvOut(out).writerow(["+x"])
    assert out.getvalue() == "'+x\n"


def test_sql_ident_cannot_escape_the_name() -> None:
    con = duckdb.connect()
    hostile = 'uid" FROM (SELECT 1) --'
    con.execute(f"CREATE TABLE t ({sql_ident(hostile)} INTEGER)")
    con.execute("INSERT INTO t VALUES (7)")
    assert con.execute(f"SELECT {sql_ident(hostile)} FROM t").fetchall() == [(7,)]
    assert [d[0] for d in con.description or []] == [hostile]
