"""iptables-restore format (IPv4) and its ip6tables twin, checked with `--test`.

Rules live in a chain of Rempart's own (`REMPART`) jumped to from FORWARD, to be loaded with
`iptables-restore --noflush` so the hospital's other rules stay. iptables has no address
sets and only one negated address per match, so a rule that must match "not any of these
networks" jumps to a helper chain that RETURNs for each of them and then gives the verdict.
Rollback removes the jump, then flushes and deletes Rempart's chains.
"""

from __future__ import annotations

import re
import shlex
from collections import OrderedDict
from pathlib import Path
from typing import ClassVar

from rempart.contain.export.base import TextExporter, Validation, tool_path
from rempart.contain.export.rules import Family, Proto, Rule, RuleSet, Verdict

_MULTIPORT_MAX = 15


class IptablesExporter(TextExporter):
    NAME = "iptables"
    VERSION = "1"
    SUFFIX = ".rules"
    DESCRIPTION = "iptables-restore file (IPv4), load with --noflush"
    FAMILY: ClassVar[Family] = 4
    TOOL: ClassVar[str] = "iptables-restore"
    VERDICT_TOKENS: ClassVar[dict[str, str]] = {"accept": "ACCEPT", "drop": "DROP"}
    PARENT: ClassVar[str] = "FORWARD"

    def chain(self, rules: RuleSet | str) -> str:
        return (rules if isinstance(rules, str) else rules.name).upper()

    def helper(self, rules: RuleSet | str, rule: Rule) -> str:
        return f"{self.chain(rules)}-{rule.id.upper()}"

    def selected(self, rules: RuleSet) -> tuple[Rule, ...]:
        return rules.family(self.FAMILY)

    def _needs_helper(self, rule: Rule) -> bool:
        return (rule.src_negate and len(rule.src) > 1) or (rule.dst_negate and len(rule.dst) > 1)

    def preamble(self, rules: RuleSet) -> list[str]:
        lines = ["*filter", f":{self.chain(rules)} - [0:0]"]
        lines += [
            f":{self.helper(rules, r)} - [0:0]"
            for r in self.selected(rules)
            if self._needs_helper(r)
        ]
        return lines

    def epilogue(self, rules: RuleSet) -> list[str]:
        return [f"-I {self.PARENT} 1 -j {self.chain(rules)}", "COMMIT"]

    def _ports(self, flag: str, proto: str, ports: tuple[int, ...]) -> list[list[str]]:
        """Port matches, split in groups multiport accepts."""
        groups = [ports[i : i + _MULTIPORT_MAX] for i in range(0, len(ports), _MULTIPORT_MAX)]
        return [["-m", "multiport", f"--{flag}", ",".join(str(p) for p in g)] for g in groups]

    def rule_lines(self, rule: Rule, rules: RuleSet) -> list[str]:
        chain = self.chain(rules)
        comment = ["-m", "comment", "--comment", f"{rule.id} a{rule.action} {rule.comment}"]
        helper = self.helper(rules, rule) if self._needs_helper(rule) else None
        verdict = self.VERDICT_TOKENS[rule.verdict.value]

        def side(flag: str, cidrs: tuple[str, ...], negate: bool) -> list[list[str]]:
            if not cidrs:
                return [[]]
            if negate and len(cidrs) == 1:
                return [["!", flag, cidrs[0]]]
            if negate:
                return [[]]  # handled by the helper chain
            return [[flag, c] for c in cidrs]

        proto = ["-p", rule.proto] if rule.proto else []
        port_opts: list[list[str]] = [[]]
        if rule.dports and rule.proto:
            port_opts = self._ports("dports", rule.proto, rule.dports)
        if rule.sports and rule.proto:
            port_opts = [
                a + b for a in port_opts for b in self._ports("sports", rule.proto, rule.sports)
            ]
        state = ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"] if rule.established else []
        target = helper or verdict
        out: list[str] = []
        for s in side("-s", rule.src, rule.src_negate):
            for d in side("-d", rule.dst, rule.dst_negate):
                for ports in port_opts:
                    argv = ["-A", chain, *s, *d, *proto, *ports, *state, *comment, "-j", target]
                    out.append(_join(argv))
        if helper:
            flag, cidrs = (
                ("-s", rule.src) if rule.src_negate and len(rule.src) > 1 else ("-d", rule.dst)
            )
            out += [_join(["-A", helper, flag, c, "-j", "RETURN"]) for c in cidrs]
            out.append(_join(["-A", helper, *comment, "-j", verdict]))
        return out

    def render_rollback(self, rules: RuleSet) -> str:
        chain = self.chain(rules)
        helpers = [self.helper(rules, r) for r in self.selected(rules) if self._needs_helper(r)]
        lines = [
            f"# Rollback of Rempart plan {rules.plan_id}: removes Rempart's chains only.",
            "*filter",
            f":{chain} - [0:0]",
            *[f":{h} - [0:0]" for h in helpers],
            f"-D {self.PARENT} -j {chain}",
            f"-X {chain}",
            *[f"-X {h}" for h in helpers],
            "COMMIT",
        ]
        return "\n".join(lines) + "\n"

    # --- reading back -------------------------------------------------------------------
    _OPTS: ClassVar[dict[str, int]] = {
        "-s": 1, "-d": 1, "-p": 1, "-m": 1, "--dports": 1, "--sports": 1,
        "--ctstate": 1, "--comment": 1, "-j": 1,
    }  # fmt: skip

    def parse(self, text: str, name: str = "rempart") -> tuple[Rule, ...]:
        """Read this exporter's own output back (a strict parser: the check without the tool)."""
        chain = self.chain(name)
        declared: set[str] = set()
        grouped: OrderedDict[str, dict[str, object]] = OrderedDict()
        helpers: dict[str, dict[str, object]] = {}
        state = "start"
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if state == "start":
                if line != "*filter":
                    raise ValueError(f"line {n}: expected *filter")
                state = "body"
                continue
            if state == "done":
                raise ValueError(f"line {n}: text after COMMIT")
            if line == "COMMIT":
                state = "done"
                continue
            if line.startswith(":"):
                m = re.fullmatch(r":([A-Z0-9_-]{1,28}) - \[0:0\]", line)
                if not m:
                    raise ValueError(f"line {n}: bad chain declaration")
                declared.add(m[1])
                continue
            try:
                argv = shlex.split(line)
            except ValueError as exc:
                raise ValueError(f"line {n}: {exc}") from exc
            if argv[:2] == ["-I", self.PARENT]:
                if argv[2:] != ["1", "-j", chain]:
                    raise ValueError(f"line {n}: unexpected jump {line!r}")
                continue
            if argv == ["-D", self.PARENT, "-j", chain] or (
                len(argv) == 2 and argv[0] == "-X" and argv[1] in declared
            ):
                continue  # rollback lines
            if len(argv) < 2 or argv[0] != "-A" or argv[1] not in declared:
                raise ValueError(f"line {n}: rule for an undeclared chain: {line[:80]!r}")
            opts = self._options(argv[2:], n)
            comment = str(opts.get("--comment", ""))
            if argv[1] != chain:  # helper chain: RETURN lines, then the verdict line
                h = helpers.setdefault(argv[1], {"neg": [], "flag": None, "verdict": None})
                if opts["-j"] == "RETURN":
                    flag = "-s" if "-s" in opts else "-d"
                    h["flag"] = flag
                    neg = h["neg"]
                    assert isinstance(neg, list)
                    neg.append(opts[flag])
                else:
                    h["verdict"] = opts["-j"]
                continue
            m = re.fullmatch(r"(r[0-9]+) a([0-9]+) (.*)", comment, flags=re.S)
            if not m:
                raise ValueError(f"line {n}: rule without a Rempart comment")
            g = grouped.setdefault(
                m[1],
                {"action": int(m[2]), "comment": m[3], "src": [], "dst": [], "opts": opts, "n": n},
            )
            for flag in ("--dports", "--sports"):  # long port lists span several lines
                if isinstance(opts.get(flag), str) and opts is not g["opts"]:
                    first = g["opts"]
                    assert isinstance(first, dict)
                    merged = _ports(first.get(flag)) + _ports(opts[flag])
                    first[flag] = ",".join(str(p) for p in dict.fromkeys(merged))
            for key, flag in (("src", "-s"), ("dst", "-d")):
                val = opts.get(flag)
                lst = g[key]
                assert isinstance(lst, list)
                if isinstance(val, str) and val not in lst:
                    lst.append(val)
        if state != "done":
            raise ValueError("missing COMMIT")
        return tuple(self._rule(rid, g, helpers, name) for rid, g in grouped.items())

    def _options(self, args: list[str], n: int) -> dict[str, str | bool]:
        opts: dict[str, str | bool] = {}
        i = 0
        negate = False
        while i < len(args):
            tok = args[i]
            if tok == "!":
                negate = True
                i += 1
                continue
            if tok not in self._OPTS or i + 1 >= len(args):
                raise ValueError(f"line {n}: unknown or incomplete option {tok!r}")
            value = args[i + 1]
            if tok == "-m" and value not in ("multiport", "comment", "conntrack"):
                raise ValueError(f"line {n}: unknown match module {value!r}")
            if tok != "-m":
                opts[tok] = value
                if negate:
                    opts["!" + tok] = True
            negate = False
            i += 2
        if "-j" not in opts:
            raise ValueError(f"line {n}: rule without a target")
        return opts

    def _rule(
        self, rid: str, g: dict[str, object], helpers: dict[str, dict[str, object]], name: str
    ) -> Rule:
        opts = g["opts"]
        assert isinstance(opts, dict)
        src, dst = list(g["src"]), list(g["dst"])  # type: ignore[call-overload]
        src_neg, dst_neg = bool(opts.get("!-s")), bool(opts.get("!-d"))
        target = str(opts["-j"])
        if target in helpers:
            h = helpers[target]
            if h["flag"] == "-s":
                src, src_neg = list(h["neg"]), True  # type: ignore[call-overload]
            else:
                dst, dst_neg = list(h["neg"]), True  # type: ignore[call-overload]
            target = str(h["verdict"])
        verdicts = {v: k for k, v in self.VERDICT_TOKENS.items()}
        if target not in verdicts:
            raise ValueError(f"rule {rid} (line {g['n']}): unknown target {target!r}")
        proto_tok = opts.get("-p")
        proto: Proto | None = (
            None if proto_tok is None else ("tcp" if proto_tok == "tcp" else "udp")
        )
        return Rule(
            id=rid,
            action=int(g["action"]),  # type: ignore[call-overload]
            verdict=Verdict(verdicts[target]),
            family=self.FAMILY,
            src=tuple(src),
            src_negate=src_neg,
            dst=tuple(dst),
            dst_negate=dst_neg,
            proto=proto,
            dports=_ports(opts.get("--dports")),
            sports=_ports(opts.get("--sports")),
            established=opts.get("--ctstate") == "ESTABLISHED,RELATED",
            comment=str(g["comment"]),
        )

    def validate(self, path: Path) -> Validation:
        """`iptables-restore --test --noflush FILE` when installed, else the parser."""
        tool = tool_path(self.TOOL)
        if tool is None:
            return self.parser_check(path)
        return self.tool_check(
            [tool, "--test", "--noflush", str(path)], f"{self.TOOL} --test", path
        )


class Ip6tablesExporter(IptablesExporter):
    NAME = "ip6tables"
    SUFFIX = ".rules6"
    DESCRIPTION = "ip6tables-restore file (IPv6), load with --noflush"
    FAMILY: ClassVar[Family] = 6
    TOOL: ClassVar[str] = "ip6tables-restore"


def _join(argv: list[str]) -> str:
    """iptables-restore reads double quotes only; comments never hold a quote."""
    return " ".join(f'"{a}"' if (" " in a or not a) else a for a in argv)


def _ports(value: object) -> tuple[int, ...]:
    if not isinstance(value, str):
        return ()
    return tuple(int(p) for p in value.split(","))
