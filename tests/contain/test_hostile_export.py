"""The export writer in a hostile or read-only directory (issue 21, defects 4 and 11): it
never writes through a planted link, and a directory it cannot write is a clear error."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.contain.export import ExportWriteError, Validation, write_validated


def ok(path: Path) -> Validation:
    return Validation(ok=True, tool="test", message="")


def bad(path: Path) -> Validation:
    return Validation(ok=False, tool="test", message="refused")


def test_planted_temporary_link_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    out = tmp_path / "plan.nft"
    # the old writer's fixed temporary name, planted as a link to another file
    (tmp_path / ".plan.nft.rempart-tmp").symlink_to(victim)
    res = write_validated(out, "table inet rempart {}\n", ok)
    assert res.changed
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink() and out.read_text() == "table inet rempart {}\n"


def test_planted_backup_link_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    out = tmp_path / "plan.nft"
    out.write_text("old rules\n")
    (tmp_path / "plan.nft.bak").symlink_to(victim)
    res = write_validated(out, "new rules\n", ok)
    assert res.backup is not None and not res.backup.is_symlink()
    assert res.backup.read_text() == "old rules\n"
    assert victim.read_text() == "precious\n"
    assert out.read_text() == "new rules\n"


def test_target_link_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    out = tmp_path / "plan.nft"
    out.symlink_to(victim)
    with pytest.raises(ExportWriteError, match="symbolic link"):
        write_validated(out, "rules\n", ok)
    assert victim.read_text() == "precious\n"


def test_failed_validation_restores_without_links(tmp_path: Path) -> None:
    out = tmp_path / "plan.nft"
    out.write_text("old rules\n")
    os.chmod(out, 0o640)
    with pytest.raises(Exception, match="refused"):
        write_validated(out, "broken\n", bad)
    assert out.read_text() == "old rules\n"
    assert (out.stat().st_mode & 0o777) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".rempart-tmp")]


def test_read_only_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root writes anyway: the file system says no instead

        def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr("tempfile.mkstemp", refuse)
    locked.chmod(0o500)
    try:
        with pytest.raises(ExportWriteError) as err:
            write_validated(locked / "plan.nft", "rules\n", ok)
        assert str(locked / "plan.nft") in str(err.value)
        assert "writable" in str(err.value)
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("where", ["read-only", "under-a-file"])
def test_plan_out_that_cannot_be_written_says_so_in_one_line(tmp_path: Path, where: str) -> None:
    """Through the real entry point: one error line and exit 2, no traceback."""
    if where == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes into read-only directories (the other case runs)")
    ws = tmp_path / "ws"
    situation = tmp_path / "situation.json"
    situation.write_text(
        json.dumps({"observed_at": "2019-03-11T09:40:00Z", "infected": [{"ip": "10.1.0.23"}]})
    )
    locked = tmp_path / "locked"
    if where == "read-only":
        locked.mkdir()
        locked.chmod(0o500)
    else:
        locked.write_text("a file, not a directory\n")
    run = [sys.executable, "-c", "from rempart.cli import main; main()"]
    env = {**os.environ, "COLUMNS": "200"}
    try:
        subprocess.run([*run, "init", "--workspace", str(ws)], check=True, env=env,
                       capture_output=True)  # fmt: skip
        res = subprocess.run(
            [
                *run,
                "plan",
                "--workspace",
                str(ws),
                "--situation",
                str(situation),
                "--export",
                "nftables",
                "--out",
                str(locked / "plan.nft"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        if locked.is_dir():
            locked.chmod(0o700)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert str(locked / "plan.nft") in res.stderr.replace("\n", "")
