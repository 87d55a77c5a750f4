"""`rempart detect`: run every registered detector over the store, print one row each."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import Lang, add, t
from rempart.detect import DetectContext, DetectorRun, run_detectors
from rempart.detect.network.nets import RFC1918
from rempart.model import Hospital, load_hospital
from rempart.store import Store, Workspace

for _key, _fr, _en in (
    ("detect_title", "Détection", "Detection"),
    ("detector", "détecteur", "detector"),
    ("version", "version", "version"),
    ("findings", "alertes", "findings"),
    ("error", "erreur", "error"),
    ("no_model", "pas de hospital.yaml : internes = RFC 1918, zones = /24",
     "no hospital.yaml: internal = RFC 1918, zones = /24"),
    ("detect_bad_cidr", "--internal : {value} n'est pas un réseau CIDR",
     "--internal: {value} is not a CIDR network"),
    ("detect_internal", "plages internes ajoutées : {ranges}", "internal ranges added: {ranges}"),
    ("detect_sensor_local",
     "adresses que le capteur Zeek dit locales (local_orig/local_resp), hors plages internes, "
     "traitées comme internes : {n} bloc(s) ({ranges})",
     "addresses the Zeek sensor marked local (local_orig/local_resp), outside the internal "
     "ranges, treated as internal: {n} block(s) ({ranges})"),
    ("detect_no_internal",
     "aucune des {n} adresses des flux n'est dans les plages internes ({ranges}) : propagation, "
     "politique de zones et exposition ne jugent rien ; donnez les plages du réseau avec "
     "--internal CIDR (ou internal_ranges dans hospital.yaml)",
     "none of the flows' {n} addresses is inside the internal ranges ({ranges}): spread, zone "
     "policy and exposure judge nothing; give the network's ranges with --internal CIDR (or "
     "internal_ranges in hospital.yaml)"),
):  # fmt: skip
    add(_key, _fr, _en)


def flow_addresses(store: Store, limit: int = 200_000) -> list[str]:
    """Distinct addresses of the stored flows and firewall records (at most `limit`)."""
    from rempart.store.flows import addresses_sql, has_inventory

    kinds = "coalesce(record_kind, 'flow') IN ('flow', 'firewall')"
    sql = (
        addresses_sql(kinds)
        if has_inventory(store.con)
        else "SELECT src_ip AS ip FROM network_flow UNION SELECT dst_ip FROM network_flow"
    )
    try:
        rows = store.con.execute(f"SELECT ip FROM ({sql}) WHERE ip IS NOT NULL LIMIT {limit}")
        return [str(r[0]) for r in rows.fetchall()]
    except duckdb.Error:  # no flow table in this workspace
        return []


def none_internal(addresses: list[str], ranges: tuple[str, ...]) -> bool:
    """Whether there are addresses and none is inside `ranges`: a network numbered in
    public space, whose hosts every internal detector would then take for the internet."""
    nets = [ipaddress.ip_network(r, strict=False) for r in ranges]
    seen = False
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        seen = True
        if any(ip in net for net in nets if net.version == ip.version):
            return False
    return seen


def workspace_hospital(ws: Workspace) -> Hospital | None:
    """The workspace's hospital model when it has one (detectors work without it)."""
    return load_hospital(ws.hospital_path) if ws.hospital_path.exists() else None


def internal_ranges(values: list[str], lang: Lang) -> tuple[str, ...]:
    """`--internal` values as normalised CIDR networks (a bad one stops the command)."""
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise typer.BadParameter(t("detect_bad_cidr", lang, value=value)) from None
    return tuple(dict.fromkeys(out))


def render_runs(runs: list[DetectorRun], lang: str) -> Table:
    lg = lang_of(lang)
    table = Table(title=t("detect_title", lg))
    table.add_column(t("detector", lg))
    table.add_column(t("version", lg))
    table.add_column(t("findings", lg), justify="right")
    table.add_column(t("error", lg))
    for r in runs:
        table.add_row(r.name, r.version, str(r.findings), escape(r.error or ""))
    return table


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Run only these detectors.")
        ] = None,
        internal: Annotated[
            list[str] | None,
            typer.Option(
                "--internal",
                help="Plage interne en plus (CIDR, répétable) : réseau numéroté en public.",
            ),
        ] = None,
        sensor_local: Annotated[
            bool,
            typer.Option(
                "--sensor-local/--no-sensor-local",
                help="Traiter comme internes les adresses que Zeek a marquées locales.",
            ),
        ] = True,
    ) -> None:
        """Lance les détecteurs ; leurs alertes remplacent celles du passage précédent."""
        lg = lang_of(lang)
        ranges = internal_ranges(internal or [], lg)
        ws = Workspace.at(workspace)
        hospital = workspace_hospital(ws)
        if hospital is None:
            console.print(t("no_model", lg))
        if ranges:
            console.print(t("detect_internal", lg, ranges=", ".join(ranges)))
        base = hospital.hospital.internal_ranges if hospital else RFC1918
        with Store(ws.db_path) as store:
            if sensor_local:
                local = store.sensor_local_ranges((*base, *ranges))
                if local:
                    shown = ", ".join(local[:5]) + (", …" if len(local) > 5 else "")
                    console.print(t("detect_sensor_local", lg, n=len(local), ranges=escape(shown)))
                    ranges = (*ranges, *local)
            addresses = flow_addresses(store)
            if none_internal(addresses, (*base, *ranges)):
                shown = ", ".join((*base, *ranges)[:6])
                console.print(t("detect_no_internal", lg, n=len(addresses), ranges=shown))
            runs = run_detectors(DetectContext(store, hospital, ranges), only or None)
        console.print(render_runs(runs, lang))
        if any(r.error for r in runs):
            raise typer.Exit(1)
