"""Host triage: ingest Windows logs, run the Sigma rules, one verdict per machine.

The matching and the verdicts are `rempart.detect.host` (`match`, `judge`); this use case
adds what a detector may not do: reading the files into a store (the workspace's, or a
throw-away one in memory) and the rule cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.core.errors import ConfigError
from rempart.ingest.files import FileResult, FileStatus, expand
from rempart.ingest.windows import bulk_ingest, sync_authentication
from rempart.sigma.levels import DEFAULT_STATUSES, builtin_rules_dir, level_rank
from rempart.sources.winevent import collection_hosts
from rempart.store import Store

if TYPE_CHECKING:
    from rempart.app.board_feed import BoardFeed
    from rempart.detect.host import Hit, HostVerdict
    from rempart.sigma.engine import RuleSet
    from rempart.sigma.evaluate import EvalStats, RulePatterns


WINDOWS_SOURCES = ("evtx", "winevent_json")  # the sources that read Windows logs
HIT_KEYS = ("file", "host", "rule_id", "rule_title", "level", "time", "record_id", "count")


@dataclass(frozen=True)
class TriageResult:
    hits: tuple[Hit, ...]
    hosts: tuple[HostVerdict, ...]
    files: tuple[FileResult, ...]
    ruleset: RuleSet
    stats: EvalStats
    # With a workspace: the machines judged compromised, put on the remediation board.
    board: BoardFeed | None = None

    @property
    def not_windows(self) -> tuple[FileResult, ...]:
        """Inputs that were not Windows logs (unknown, or read as another event class):
        triage judged nothing from them, and the team must be told so."""
        return tuple(
            f
            for f in self.files
            if f.status in (FileStatus.UNKNOWN, FileStatus.NOT_READ)
            or (f.status is FileStatus.INGESTED and (f.source or "") not in WINDOWS_SOURCES)
        )


def _suppressed(path: Path | None) -> set[tuple[str, str]]:
    """Suppression list: one `rule_id` or `host:rule_id` per line, `#` comments."""
    out: set[tuple[str, str]] = set()
    if path is None:
        return out
    for line in path.read_text("utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        host, _, rule = entry.rpartition(":")
        out.add((host or "*", rule))
    return out


def triage(
    paths: Sequence[Path],
    rules_dir: Path | Sequence[Path] | None = None,
    min_level: str = "medium",
    *,
    store: Store | None = None,
    statuses: frozenset[str] = DEFAULT_STATUSES,
    suppress: Path | None = None,
    hosts_from_folders: bool = False,
    builtin: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    cache_dir: Path | None = None,
) -> TriageResult:
    """Ingest Windows logs, run Sigma rules, return hits and one verdict per host.

    `store`: where events go (default: a throw-away in-memory store, into which only the
    Windows logs are read; other files are named with their format, not read).
    `cache_dir`: where the compiled rule set is kept between runs (default: none, rules are
    converted every time).
    The rules are loaded (and the Sigma stack imported) in a thread beside the ingest, whose
    time is mostly DuckDB's, which lets go of the interpreter: on the attack samples that hid
    about half a second of a four-second run. A rules error stops the ingest at its next file.
    """
    dirs: list[Path] = [builtin_rules_dir()] if builtin else []
    if isinstance(rules_dir, Path):
        dirs.append(rules_dir)
    elif rules_dir is not None:
        dirs.extend(rules_dir)
    for d in dirs:
        if not d.exists():
            raise ConfigError(f"no Sigma rules at {d}")
    own = store is None
    store = store or Store.memory()
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="rempart-rules") as pool:
            pending = pool.submit(
                _load_rules,
                dirs,
                min_level,
                statuses,
                (lambda i, n: progress("rules", i, n)) if progress else None,
                cache_dir,
            )

            def files_progress(i: int, n: int) -> None:
                _raise_failed(pending)
                if progress:
                    progress("files", i + 1, n)

            files = list(expand(paths))
            # a throw-away store keeps nothing: other formats are named, not read
            results = bulk_ingest(store, files, files_progress, read_others=not own)
            sync_authentication(store)
            ruleset, patterns = pending.result()
        from rempart.detect.host import detector_hits, host_files, judge, match

        folder_hosts: dict[str, str] = {}
        if hosts_from_folders:
            for p in paths:
                if p.is_dir():
                    folder_hosts.update(collection_hosts(p))
        hits, stats = match(store, ruleset, folder_hosts=folder_hosts or None, patterns=patterns)
        # the Windows host detectors (a machine's failures against its own baseline, forged
        # tickets) count like rules: in the verdicts, and suppressed as `rempart:<name>`
        hits += detector_hits(store, folder_hosts=folder_hosts or None)
        muted = _suppressed(suppress)
        if muted:
            hits = [
                h
                for h in hits
                if ("*", h.rule_id) not in muted and (h.host, h.rule_id) not in muted
            ]
        # the base rules a correlation counts are loaded below the level asked for: their
        # own hits are hidden (`--min-level` hides what is below it)
        floor = level_rank(min_level)
        hits = [h for h in hits if level_rank(h.level) >= floor]
        verdicts = judge(hits, host_files(store, folder_hosts or None))
        return TriageResult(tuple(hits), tuple(verdicts), tuple(results), ruleset, stats)
    finally:
        if own:
            store.close()


def _load_rules(
    dirs: list[Path],
    min_level: str,
    statuses: frozenset[str],
    progress: Callable[[int, int], None] | None,
    cache_dir: Path | None,
) -> tuple[RuleSet, RulePatterns]:
    """The rule set and its RE2 sets, with the matcher's imports (the evaluator, pyarrow's
    compute): none of it depends on the events, so it runs in `triage`'s thread while the
    main thread ingests."""
    import rempart.detect.host  # noqa: F401 - imported here to overlap the ingest
    from rempart.sigma.engine import load_rules
    from rempart.sigma.evaluate import compile_patterns

    ruleset = load_rules(
        dirs, min_level=min_level, statuses=statuses, progress=progress, cache_dir=cache_dir
    )
    return ruleset, compile_patterns(ruleset)


def _raise_failed(pending: Future[tuple[RuleSet, RulePatterns]]) -> None:
    """Re-raise a failed rules load in the ingest's thread: no reading on for nothing."""
    if pending.done():
        exc = pending.exception()
        if exc is not None:
            raise exc


def triage_workspace(
    workspace: Path | str | None,
    paths: Sequence[Path],
    rules: Sequence[Path] | None = None,
    min_level: str = "medium",
    *,
    suppress: Path | None = None,
    hosts_from_folders: bool = False,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    lang: str = "fr",
) -> TriageResult:
    """`rempart triage`: into the workspace's store when one is given (rule cache in it),
    else into memory (rule cache in the user's cache folder). `lang`: the language of the
    notes it writes on the remediation board."""
    from rempart.app.session import Session

    if workspace:
        with Session.writer(workspace) as session:
            result = triage(
                paths,
                list(rules) if rules else None,
                min_level,
                store=session.store,
                suppress=suppress,
                hosts_from_folders=hosts_from_folders,
                progress=progress,
                cache_dir=session.root / "cache" if use_cache else None,
            )
        from rempart.app.board_feed import board_from_triage  # the case store, when it runs

        return replace(result, board=board_from_triage(workspace, result.hosts, lang=lang))
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return triage(
        paths,
        list(rules) if rules else None,
        min_level,
        suppress=suppress,
        hosts_from_folders=hosts_from_folders,
        progress=progress,
        cache_dir=Path(xdg) / "rempart" if use_cache else None,
    )


__all__ = ["HIT_KEYS", "Hit", "HostVerdict", "TriageResult", "triage", "triage_workspace"]
