"""nftables: one `inet` table of Rempart's own, replaced atomically, checked with `nft -c -f`.

The file first declares then deletes the table, then defines it, so loading it twice gives
the same ruleset and never touches the hospital's other tables. The chain hooks `forward`
with policy accept just before the usual filter priority: Rempart's rules only add drops
(an accept here does not override the hospital's own policy). Rollback deletes the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from rempart.contain.export.base import TextExporter, Validation, tool_path
from rempart.contain.export.rules import Family, Proto, Rule, RuleSet, Verdict


class NftablesExporter(TextExporter):
    NAME = "nftables"
    VERSION = "1"
    SUFFIX = ".nft"
    DESCRIPTION = "nftables ruleset (nft -f), checked with nft -c"
    FAMILY_TOKENS: ClassVar[dict[int, str]] = {4: "ip", 6: "ip6"}
    VERDICT_TOKENS: ClassVar[dict[str, str]] = {"accept": "accept", "drop": "drop"}
    TABLE_FAMILY: ClassVar[str] = "inet"
    CHAIN: ClassVar[str] = "forward"
    HOOK: ClassVar[str] = "type filter hook forward priority -10; policy accept;"
    INDENT: ClassVar[str] = "\t"

    def _table(self, rules: RuleSet | str) -> str:
        name = rules if isinstance(rules, str) else rules.name
        return f"table {self.TABLE_FAMILY} {name}"

    def preamble(self, rules: RuleSet) -> list[str]:
        table = self._table(rules)
        return [
            table,
            f"delete {table}",
            table + " {",
            f"{self.INDENT}chain {self.CHAIN} {{",
            f"{self.INDENT * 2}{self.HOOK}",
        ]

    def epilogue(self, rules: RuleSet) -> list[str]:
        return [f"{self.INDENT}}}", "}"]

    @staticmethod
    def _set(items: tuple[str, ...] | tuple[int, ...]) -> str:
        return "{ " + ", ".join(str(i) for i in items) + " }"

    def rule_lines(self, rule: Rule, rules: RuleSet) -> list[str]:
        fam = self.FAMILY_TOKENS[rule.family]
        parts: list[str] = []
        if rule.established:
            parts.append("ct state established,related")
        if rule.src:
            parts.append(f"{fam} saddr {'!= ' if rule.src_negate else ''}{self._set(rule.src)}")
        if rule.dst:
            parts.append(f"{fam} daddr {'!= ' if rule.dst_negate else ''}{self._set(rule.dst)}")
        if rule.proto and not (rule.dports or rule.sports):
            parts.append(f"meta l4proto {rule.proto}")
        if rule.dports:
            parts.append(f"{rule.proto} dport {self._set(rule.dports)}")
        if rule.sports:
            parts.append(f"{rule.proto} sport {self._set(rule.sports)}")
        parts.append(self.VERDICT_TOKENS[rule.verdict.value])
        parts.append(f'comment "{rule.id} a{rule.action} {rule.comment}"')
        return [self.INDENT * 2 + " ".join(parts)]

    def render_rollback(self, rules: RuleSet) -> str:
        table = self._table(rules)
        return (
            "\n".join(
                [
                    f"# Rollback of Rempart plan {rules.plan_id}: removes Rempart's table only.",
                    table,
                    f"delete {table}",
                ]
            )
            + "\n"
        )

    # --- reading back -------------------------------------------------------------------
    _RULE = re.compile(
        r"^(?P<est>ct state established,related )?"
        r"(?:(?P<sfam>ip6?) saddr (?P<sneg>!= )?\{ (?P<src>[^}]+) \} )?"
        r"(?:(?P<dfam>ip6?) daddr (?P<dneg>!= )?\{ (?P<dst>[^}]+) \} )?"
        r"(?:meta l4proto (?P<l4>tcp|udp) )?"
        r"(?:(?P<dproto>tcp|udp) dport \{ (?P<dports>[0-9, ]+) \} )?"
        r"(?:(?P<sproto>tcp|udp) sport \{ (?P<sports>[0-9, ]+) \} )?"
        r"(?P<verdict>accept|drop) "
        r'comment "(?P<id>r[0-9]+) a(?P<action>[0-9]+) (?P<comment>[^"]*)"$'
    )

    def parse(self, text: str, name: str = "rempart") -> tuple[Rule, ...]:
        """Read this exporter's own output back (a strict parser: the check without nft)."""
        lines = [ln.strip() for ln in text.splitlines()]
        body = [(n, ln) for n, ln in enumerate(lines, 1) if ln and not ln.startswith("#")]
        if [ln for _, ln in body] == [self._table(name), f"delete {self._table(name)}"]:
            return ()  # the rollback: declare then delete Rempart's table
        expected = [self._table(name), f"delete {self._table(name)}", self._table(name) + " {"]
        head = [ln for _, ln in body[:3]]
        if head != expected:
            raise ValueError(f"line {body[0][0] if body else 1}: expected {expected[0]!r} header")
        if len(body) < 6 or body[3][1] != f"chain {self.CHAIN} {{" or body[4][1] != self.HOOK:
            raise ValueError(f"line {body[3][0] if len(body) > 3 else 1}: expected the chain")
        if [ln for _, ln in body[-2:]] != ["}", "}"]:
            raise ValueError(f"line {body[-1][0]}: unterminated table")
        rules: list[Rule] = []
        for n, ln in body[5:-2]:
            m = self._RULE.match(ln)
            if not m:
                raise ValueError(f"line {n}: not a Rempart nftables rule: {ln[:80]!r}")
            fams = {m["sfam"], m["dfam"]} - {None}
            if len(fams) != 1:
                raise ValueError(f"line {n}: one address family per rule")
            family: Family = 6 if fams == {"ip6"} else 4
            proto: Proto | None = None
            for key in ("l4", "dproto", "sproto"):
                if m[key]:
                    proto = "tcp" if m[key] == "tcp" else "udp"
            try:
                rules.append(
                    Rule(
                        id=m["id"],
                        action=int(m["action"]),
                        verdict=Verdict(m["verdict"]),
                        family=family,
                        src=_items(m["src"]),
                        src_negate=bool(m["sneg"]),
                        dst=_items(m["dst"]),
                        dst_negate=bool(m["dneg"]),
                        proto=proto,
                        dports=tuple(int(p) for p in _items(m["dports"])),
                        sports=tuple(int(p) for p in _items(m["sports"])),
                        established=bool(m["est"]),
                        comment=m["comment"],
                    )
                )
            except ValueError as exc:
                raise ValueError(f"line {n}: {exc}") from exc
        return tuple(rules)

    def validate(self, path: Path) -> Validation:
        """`nft -c -f FILE` when nft is installed (checks without applying), else the parser."""
        nft = tool_path("nft")
        if nft is None:
            return self.parser_check(path)
        return self.tool_check([nft, "-c", "-f", str(path)], "nft -c", path)


def _items(group: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in group.split(",")) if group else ()
