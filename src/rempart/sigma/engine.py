"""The Sigma engine: load a rule directory, convert every rule with pySigma, run them together.

Loading never drops a rule silently: each one is either compiled or listed as skipped with its
reason (YAML error, non-Windows log source, unsupported modifier, regex RE2 cannot run...).
Evaluation is set-based: the fields the rules use are lifted once into a wide temporary table
(lower-cased once per event) into one small table per log-source group, which is then scanned
by queries whose single list column holds the indices of all the rules (50 per query: DuckDB
plans that faster than one huge query) that matched the row.
Correlation rules (`event_count`, `value_count`) then run as SQL over those hits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict

from rempart.core.errors import ConfigError
from rempart.sigma.levels import DEFAULT_STATUSES, LEVELS, level_rank
from rempart.sigma.plan import RAW_FIELD, arrow_ready, as_plan, columns_of, sql_literal, to_sql

if TYPE_CHECKING:
    pass

RULES_PER_QUERY = 50
BUILTIN_RULES = "builtin"  # marker for Rempart's own rule set
# libyaml's loader when PyYAML has it: the pure-Python one was most of a cold run's time
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ChannelEvents(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    channel: str
    event_ids: tuple[int, ...]


class Mapping(BaseModel):
    """Sigma fields and log sources onto Rempart's `process` table (data, validated on load)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    fields: dict[str, str]
    categories: dict[str, tuple[ChannelEvents, ...]]
    services: dict[str, tuple[str, ...]] = {}

    def field_sql(self, name: str) -> str:
        if name == RAW_FIELD:
            return "raw"
        return self.fields.get(name) or f"fields[{sql_literal(name)}]"


@cache
def default_mapping() -> Mapping:
    text = resources.files("rempart.sigma").joinpath("mapping.yaml").read_text("utf-8")
    return Mapping.model_validate(yaml.safe_load(text))


@dataclass(frozen=True)
class CompiledRule:
    """A Sigma rule as one boolean SQL expression plus its log-source predicate."""

    rule_id: str
    title: str
    level: str
    status: str
    path: str
    logsource: str  # SQL predicate over channel/event_code, '' when none
    expr: str
    tags: tuple[str, ...] = ()
    name: str | None = None
    plan: str = ""  # JSON plan when PyArrow can run it whole, else "" (SQL only)
    title_en: str = ""  # Rempart's rules: `title_en:`, the English of the French `title`


@dataclass(frozen=True)
class CompiledCorrelation:
    """An `event_count` / `value_count` correlation over the hits of other rules."""

    rule_id: str
    title: str
    level: str
    path: str
    kind: str
    rule_ids: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan_s: int
    op: str
    count: int
    value_field: str | None = None
    tags: tuple[str, ...] = ()  # ATT&CK tags of the correlation itself
    title_en: str = ""  # as CompiledRule's


@dataclass(frozen=True)
class SkippedRule:
    path: str
    rule_id: str | None
    title: str | None
    reason: str


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    correlations: tuple[CompiledCorrelation, ...] = ()
    skipped: tuple[SkippedRule, ...] = ()

    @property
    def converted(self) -> int:
        return len(self.rules) + len(self.correlations)

    def by_id(self) -> dict[str, CompiledRule]:
        return {r.rule_id: r for r in self.rules}


def _logsource_sql(logsource: object, mapping: Mapping) -> str | None:
    """The predicate of a rule's log source; None (with no SQL) when it is not Windows."""
    from sigma.pipelines.common import windows_logsource_mapping

    product = getattr(logsource, "product", None)
    category = getattr(logsource, "category", None)
    service = getattr(logsource, "service", None)
    if product not in (None, "windows"):
        raise _Skip(f"log source product {product!r} is not Windows")
    parts: list[str] = []
    if category is not None:
        entries = mapping.categories.get(category) or _pipeline_category(category)
        if entries is None:
            raise _Skip(f"log source category {category!r} has no Windows event mapping")
        ors = [
            f"(channel = {sql_literal(e.channel)} AND event_code IN "
            f"({', '.join(str(i) for i in e.event_ids)}))"
            for e in entries
        ]
        parts.append("(" + " OR ".join(ors) + ")")
    if service is not None:
        channels = mapping.services.get(service)
        if channels is None and service in windows_logsource_mapping:
            known = windows_logsource_mapping[service]
            channels = tuple(known) if isinstance(known, list | tuple) else (str(known),)
        if channels is None:
            raise _Skip(f"log source service {service!r} has no Windows channel mapping")
        parts.append(f"channel IN ({', '.join(sql_literal(c) for c in channels)})")
    return " AND ".join(parts)


def _pipeline_category(category: str) -> tuple[ChannelEvents, ...] | None:
    """Categories pySigma's Windows pipeline knows (PowerShell...) and mapping.yaml does not."""
    from sigma.pipelines.common import windows_logsource_mapping
    from sigma.pipelines.windows.windows import windows_generic_category_channel_mapping

    info = windows_generic_category_channel_mapping.get(category)
    if info is None or info.get("service") not in windows_logsource_mapping:
        return None
    channel = windows_logsource_mapping[str(info["service"])]
    channels = channel if isinstance(channel, list | tuple) else [channel]
    event_id = int(str(info["EventID"]))
    return tuple(ChannelEvents(channel=str(c), event_ids=(event_id,)) for c in channels)


class _Skip(Exception):
    pass


def _rule_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            # sorted by parts (Path's own order) without Path's slow comparisons
            found = [x for x in p.rglob("*") if x.suffix in (".yml", ".yaml")]
            out.extend(sorted(found, key=lambda x: x.parts))
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError(f"no Sigma rules at {p}")
    return out


# 3: correlations keep their ATT&CK tags; 4: null = absent or empty; 5: title_en. Both caches
# (the whole set's and `sigma-files.json`'s entries) are keyed by it: a bump reconverts.
ENGINE_VERSION = "5"


def _cache_key(files: Sequence[Path], min_level: str, statuses: frozenset[str], m: Mapping) -> str:
    h = hashlib.sha256()
    h.update(f"{ENGINE_VERSION}|{min_level}|{sorted(statuses)}|{m.model_dump_json()}".encode())
    for f in files:
        h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _ruleset_to_json(rs: RuleSet) -> str:
    return json.dumps(
        {
            "rules": [asdict(r) for r in rs.rules],
            "correlations": [asdict(c) for c in rs.correlations],
            "skipped": [asdict(s) for s in rs.skipped],
        }
    )


def _ruleset_from_json(text: str) -> RuleSet:
    data = json.loads(text)

    def tuples(d: dict[str, Any]) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}

    return RuleSet(
        tuple(CompiledRule(**tuples(r)) for r in data["rules"]),
        tuple(CompiledCorrelation(**tuples(c)) for c in data["correlations"]),
        tuple(SkippedRule(**s) for s in data["skipped"]),
    )


def load_rules(
    paths: Sequence[Path],
    *,
    min_level: str = "informational",
    statuses: frozenset[str] = DEFAULT_STATUSES,
    mapping: Mapping | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
) -> RuleSet:
    """Load and convert every Sigma rule under `paths`; each one compiled or listed skipped.

    With `cache_dir`, the compiled set is kept as JSON keyed by the rules' content, the
    mapping, the level and the statuses: the next run with the same rules skips pySigma.
    Each file's conversion is also kept under its bytes' digest (`sigma-files.json`), so a
    new folder converts only the files not seen before.
    """
    if min_level not in LEVELS:
        raise ConfigError(f"unknown level {min_level!r} (one of {', '.join(LEVELS)})")
    mapping = mapping or default_mapping()
    if cache_dir is None:
        return _load_rules(paths, min_level, statuses, mapping, progress)
    files = _rule_files(paths)
    cached = cache_dir / f"sigma-{_cache_key(files, min_level, statuses, mapping)}.json"
    if cached.is_file():
        try:
            return _ruleset_from_json(cached.read_text("utf-8"))
        except (ValueError, TypeError, KeyError):
            cached.unlink(missing_ok=True)  # a damaged cache is rebuilt, never trusted
    per_file = cache_dir / "sigma-files.json"
    rs = _load_rules(paths, min_level, statuses, mapping, progress, file_cache=per_file)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(_ruleset_to_json(rs), encoding="utf-8")
    tmp.replace(cached)
    return rs


@dataclass(frozen=True)
class _CorrSpec:
    """A correlation rule as plain values: what `_correlations` needs, picklable."""

    path: str
    rule_id: str
    given_id: str | None  # the rule's own id (None: rule_id is derived from the path)
    title: str
    level: str
    kind: str
    refs: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan_s: int
    op: str
    count: int
    value_field: str | None
    tags: tuple[str, ...] = ()
    title_en: str = ""


@dataclass(frozen=True)
class _FileResult:
    rules: tuple[CompiledRule, ...]
    correlations: tuple[_CorrSpec, ...]
    skipped: tuple[SkippedRule, ...]


# Below this many files the rules are converted in this process: starting workers costs more.
PARALLEL_MIN_FILES = 200


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _load_rules(
    paths: Sequence[Path],
    min_level: str,
    statuses: frozenset[str],
    mapping: Mapping,
    progress: Callable[[int, int], None] | None,
    file_cache: Path | None = None,
) -> RuleSet:
    """Parse and convert every file (in a process pool when there are many), then link.

    With `file_cache` (a JSON file), each file's conversion is kept under the digest of its
    bytes: a new folder holding known rules (a copy, an update of SigmaHQ) converts only the
    files it has not seen.

    Each file is read with libyaml's loader and handed to pySigma as dicts (its own
    `from_yaml` parses in pure Python: most of a cold run's time), and converted on its own:
    a file's rules, correlations and skips do not depend on other files'.
    """
    files = [str(f) for f in _rule_files(paths)]
    job = (mapping.model_dump_json(), tuple(sorted(statuses)))
    keys = _file_keys(files, job) if file_cache is not None else [""] * len(files)
    known = _read_file_cache(file_cache) if file_cache is not None else {}
    found: dict[str, _FileResult] = {}
    for f, k in zip(files, keys, strict=True):
        if k and k in known:
            with contextlib.suppress(TypeError, KeyError, ValueError):  # damaged: convert again
                found[f] = _file_result_from(known[k], f)
    todo = [f for f in files if f not in found]
    found.update(zip(todo, _convert_all(todo, job, progress), strict=True))
    results = [found[f] for f in files]
    if file_cache is not None:
        fresh = {k: _file_result_to(found[f], f) for f, k in zip(files, keys, strict=True)}
        _write_file_cache(file_cache, known, fresh)
    rules = [r for res in results for r in res.rules]
    specs = [c for res in results for c in res.correlations]
    skipped = [s for res in results for s in res.skipped]
    rules, bad = _check_sql(rules, mapping)
    skipped.extend(bad)
    compiled_corr, corr_skipped = _correlations(specs, rules)
    skipped.extend(corr_skipped)
    keep = [r for r in rules if level_rank(r.level) >= level_rank(min_level)]
    # A rule below the level stays compiled when a correlation needs it.
    needed = {rid for c in compiled_corr for rid in c.rule_ids}
    keep += [
        r for r in rules if level_rank(r.level) < level_rank(min_level) and r.rule_id in needed
    ]
    skipped.extend(
        SkippedRule(r.path, r.rule_id, r.title, f"level {r.level} below {min_level}")
        for r in rules
        if level_rank(r.level) < level_rank(min_level) and r.rule_id not in needed
    )
    corr_keep = [c for c in compiled_corr if level_rank(c.level) >= level_rank(min_level)]
    return RuleSet(tuple(keep), tuple(corr_keep), tuple(skipped))


def _convert_all(
    files: list[str], job: tuple[str, tuple[str, ...]], progress: Callable[[int, int], None] | None
) -> list[_FileResult]:
    """One result per file, in order; a process pool when there are many files."""
    n_workers = min(_workers(), max(1, len(files) // PARALLEL_MIN_FILES))
    if n_workers > 1:
        return _convert_in_workers(files, job, n_workers, progress)
    results: list[_FileResult] = []
    for i, f in enumerate(files):
        results.extend(_convert_files([f], job))
        if progress is not None and i % 200 == 0:
            progress(i, len(files))
    return results


def _convert_in_workers(
    files: list[str],
    job: tuple[str, tuple[str, ...]],
    n_workers: int,
    progress: Callable[[int, int], None] | None,
) -> list[_FileResult]:
    """Every n-th file to each of n fresh interpreters (`python -m rempart.sigma.engine`).

    Plain child processes, not multiprocessing: a fork would copy DuckDB's threads mid-lock,
    and spawn re-runs the caller's main script in each worker. Results come back as JSON; a
    worker that fails has its files converted here.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    shares = [files[i::n_workers] for i in range(n_workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rempart.sigma.engine"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for _ in shares
    ]
    for proc, share in zip(procs, shares, strict=True):
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a worker that died is handled below
            proc.stdin.write(json.dumps({"files": share, "job": job}).encode())
            proc.stdin.close()  # every worker starts before any result is read
    found: dict[str, _FileResult] = {}
    for proc, share in zip(procs, shares, strict=True):
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.stdout.close()
        proc.wait()
        try:
            if proc.returncode != 0:
                raise ValueError(f"worker exit {proc.returncode}")
            data = json.loads(out)
            found.update((f, _file_result_from(d, f)) for f, d in zip(share, data, strict=True))
        except (ValueError, TypeError, KeyError):
            found.update(zip(share, _convert_files(share, job), strict=True))
        if progress is not None:
            progress(len(found), len(files))
    return [found[f] for f in files]


def _worker_main() -> None:
    """`python -m rempart.sigma.engine`: convert the files named on stdin, JSON on stdout."""
    req = json.loads(sys.stdin.buffer.read())
    job = (str(req["job"][0]), tuple(req["job"][1]))
    files = [str(f) for f in req["files"]]
    done = _convert_files(files, job)
    sys.stdout.write(json.dumps([_file_result_to(r, f) for r, f in zip(done, files, strict=True)]))


FILE_CACHE_MAX = 20_000  # entries kept in the per-file cache (the current run's first)


def _file_keys(files: list[str], job: tuple[str, tuple[str, ...]]) -> list[str]:
    head = f"{ENGINE_VERSION}|{job[0]}|{job[1]}".encode()
    return [hashlib.sha256(head + b"\0" + Path(f).read_bytes()).hexdigest()[:32] for f in files]


def _read_file_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: everything is converted again
    return data if isinstance(data, dict) else {}


def _write_file_cache(path: Path, known: dict[str, Any], fresh: dict[str, Any]) -> None:
    merged = dict(fresh)
    for k, v in known.items():
        if len(merged) >= FILE_CACHE_MAX:
            break
        merged.setdefault(k, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged), encoding="utf-8")
    tmp.replace(path)


def _file_result_to(res: _FileResult, path: str) -> dict[str, Any]:
    """A file's result without its path (and ids derived from it): the same bytes elsewhere
    give the same rules."""
    pid = _path_id(path)

    def strip(d: dict[str, Any]) -> dict[str, Any]:
        d = dict(d, path="")
        if d.get("rule_id") == pid:
            d["rule_id"] = ""
        return d

    return {
        "rules": [strip(asdict(r)) for r in res.rules],
        "correlations": [strip(asdict(c)) for c in res.correlations],
        "skipped": [strip(asdict(s)) for s in res.skipped],
    }


def _file_result_from(data: dict[str, Any], path: str) -> _FileResult:
    pid = _path_id(path)

    def fill(d: dict[str, Any]) -> dict[str, Any]:
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        d["path"] = path
        if d.get("rule_id") == "":
            d["rule_id"] = pid
        return d

    return _FileResult(
        tuple(CompiledRule(**fill(r)) for r in data["rules"]),
        tuple(_CorrSpec(**fill(c)) for c in data["correlations"]),
        tuple(SkippedRule(**fill(x)) for x in data["skipped"]),
    )


def _convert_files(files: list[str], job: tuple[str, tuple[str, ...]]) -> list[_FileResult]:
    """Parse and convert some rule files (in a worker process or here), one result each."""
    from sigma.processing.pipeline import ProcessingPipeline

    from rempart.sigma.backend import DuckDBSigmaBackend

    mapping = Mapping.model_validate_json(job[0])
    statuses = frozenset(job[1])
    backend = DuckDBSigmaBackend(ProcessingPipeline())
    return [_convert_file(path, mapping, statuses, backend) for path in files]


def _convert_file(
    path: str, mapping: Mapping, statuses: frozenset[str], backend: Any
) -> _FileResult:
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    try:
        text = Path(path).read_text("utf-8")
        docs = list(yaml.load_all(text, Loader=_YAML_LOADER))
        coll = SigmaCollection.from_dicts(docs, collect_errors=True)
    except (SigmaError, yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        return _FileResult((), (), (SkippedRule(path, None, None, f"unreadable: {exc}"),))
    except Exception as exc:  # pySigma on a rule shared by others: `id: 12345`, a
        # document that is only a string... one bad file is one skipped rule, with why
        reason = f"invalid rule: {type(exc).__name__}: {exc}"
        return _FileResult((), (), (SkippedRule(path, None, None, reason),))
    skipped: list[SkippedRule] = []
    parsed: list[SigmaRule | SigmaCorrelationRule] = []
    for item in coll.rules:
        if isinstance(item, SigmaRule | SigmaCorrelationRule):
            errors = getattr(item, "errors", [])
            if errors:
                skipped.append(_skip(path, item, f"invalid rule: {errors[0]}"))
            else:
                parsed.append(item)
    rules: list[CompiledRule] = []
    correlations: list[_CorrSpec] = []
    for rule in parsed:
        level = str(rule.level.name).lower() if rule.level else "informational"
        status = str(rule.status.name).lower() if rule.status else "experimental"
        if isinstance(rule, SigmaCorrelationRule):
            spec = _corr_spec(path, rule)
            if isinstance(spec, SkippedRule):
                skipped.append(spec)
            else:
                correlations.append(spec)
            continue
        if status not in statuses:
            skipped.append(_skip(path, rule, f"status {status} filtered out"))
            continue
        try:
            predicate = _logsource_sql(rule.logsource, mapping)
            rule._output = True  # a correlation's base rule is matched too (its hits feed it)
            queries = backend.convert_rule(rule)
        except _Skip as exc:
            skipped.append(_skip(path, rule, str(exc)))
            continue
        except (SigmaError, NotImplementedError, TypeError, ValueError) as exc:
            skipped.append(_skip(path, rule, f"not convertible: {type(exc).__name__}: {exc}"))
            continue
        if not queries:
            skipped.append(_skip(path, rule, "not convertible: no query"))
            continue
        plans = [as_plan(q) for q in queries]
        plan = plans[0] if len(plans) == 1 else ["or", plans]
        expr = to_sql(plan)
        rules.append(
            CompiledRule(
                rule_id=str(rule.id) if rule.id else _path_id(path),
                title=str(rule.title),
                title_en=_title_en(rule),
                level=level,
                status=status,
                path=path,
                logsource=predicate or "",
                expr=expr,
                tags=tuple(str(t) for t in rule.tags),
                name=rule.name,
                plan=json.dumps(plan) if arrow_ready(plan) else "",
            )
        )
    return _FileResult(tuple(rules), tuple(correlations), tuple(skipped))


def _corr_spec(path: str, corr: Any) -> _CorrSpec | SkippedRule:
    """The values of a correlation rule, or why it cannot run."""
    kind = str(getattr(corr, "type", "")).split(".")[-1].lower()
    level = str(corr.level.name).lower() if getattr(corr, "level", None) else "medium"
    if kind not in ("event_count", "value_count"):
        return _skip(path, corr, f"correlation type {kind} not supported")
    cond = corr.condition
    op = {"GTE": ">=", "GT": ">", "LTE": "<=", "LT": "<", "EQ": "="}.get(str(cond.op.name), ">=")
    return _CorrSpec(
        path=path,
        rule_id=str(corr.id) if getattr(corr, "id", None) else _path_id(path),
        given_id=str(corr.id) if getattr(corr, "id", None) else None,
        title=str(getattr(corr, "title", "")),
        title_en=_title_en(corr),
        level=level,
        kind=kind,
        refs=tuple(str(getattr(ref, "reference", ref)) for ref in getattr(corr, "rules", [])),
        group_by=tuple(getattr(corr, "group_by", None) or ()),
        timespan_s=int(corr.timespan.seconds),
        op=op,
        count=int(cond.count),
        value_field=getattr(cond, "fieldref", None),
        tags=tuple(str(t) for t in getattr(corr, "tags", None) or ()),
    )


def _title_en(rule: object) -> str:
    """The rule's `title_en:` (Rempart's rules are titled in French, with their English
    here); "" when it has none, as SigmaHQ's, whose `title` is English already."""
    value = (getattr(rule, "custom_attributes", None) or {}).get("title_en")
    return value.strip() if isinstance(value, str) else ""


def _skip(path: Path | str, rule: object, reason: str) -> SkippedRule:
    rid = getattr(rule, "id", None)
    return SkippedRule(str(path), str(rid) if rid else None, getattr(rule, "title", None), reason)


def _path_id(path: str) -> str:
    return "path-" + hashlib.sha256(path.encode()).hexdigest()[:16]


def _check_sql(
    rules: list[CompiledRule], mapping: Mapping
) -> tuple[list[CompiledRule], list[SkippedRule]]:
    """Bind every expression once on an empty table: RE2-incompatible regexes are caught here."""
    con = duckdb.connect(":memory:")
    try:
        cols = distinct_columns(rules)
        defs = ", ".join(f'"{k}:{f.replace(chr(34), chr(34) * 2)}" VARCHAR' for k, f in cols)
        con.execute(
            "CREATE TABLE ev (channel VARCHAR, event_code INTEGER"
            + (", " + defs if defs else "")
            + ")"
        )
        good: list[CompiledRule] = []
        bad: list[SkippedRule] = []
        for r in rules:
            if r.plan and "regexp_matches" not in r.expr:
                good.append(r)  # built only from functions that cannot fail to bind
                continue
            try:
                where = r.logsource or "true"
                con.execute(f"SELECT ({r.expr}) FROM ev WHERE {where} LIMIT 0")
                good.append(r)
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0][:160]
                bad.append(SkippedRule(r.path, r.rule_id, r.title, f"not runnable: {msg}"))
        return good, bad
    finally:
        con.close()


def distinct_columns(rules: Sequence[CompiledRule]) -> list[tuple[str, str]]:
    """Columns the rules read, one per name as DuckDB sees it (identifiers ignore case)."""
    seen: dict[str, tuple[str, str]] = {}
    for kind, name in sorted({c for r in rules for c in columns_of(r.expr)}):
        seen.setdefault(f"{kind}:{name}".lower(), (kind, name))
    return list(seen.values())


def _correlations(
    specs: Sequence[_CorrSpec], rules: list[CompiledRule]
) -> tuple[list[CompiledCorrelation], list[SkippedRule]]:
    """Link each correlation to the compiled rules it names (by name or id)."""
    by_name = {r.name: r.rule_id for r in rules if r.name}
    by_id = {r.rule_id for r in rules}
    out: list[CompiledCorrelation] = []
    skipped: list[SkippedRule] = []
    for c in specs:
        refs: list[str] = []
        for key in c.refs:
            rid = by_name.get(key) or (key if key in by_id else None)
            if rid is None:
                skipped.append(
                    SkippedRule(c.path, c.given_id, c.title, f"referenced rule {key} not loaded")
                )
                break
            refs.append(rid)
        else:
            out.append(
                CompiledCorrelation(
                    rule_id=c.rule_id,
                    title=c.title,
                    title_en=c.title_en,
                    level=c.level,
                    path=c.path,
                    kind=c.kind,
                    rule_ids=tuple(refs),
                    group_by=c.group_by,
                    timespan_s=c.timespan_s,
                    op=c.op,
                    count=c.count,
                    value_field=c.value_field,
                    tags=c.tags,
                )
            )
    return out, skipped


# --- evaluation -----------------------------------------------------------------------------

if __name__ == "__main__":
    _worker_main()
