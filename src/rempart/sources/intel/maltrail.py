"""Maltrail static trails: one trail a line (domain, address, `address:port`, CIDR, URL, or a
URL path such as `/gate.php`), `#` comments, `# Reference:` lines citing where the trails
after them come from (kept, all of a block's, as their context). The list's name
(`malware/qakbot.txt` -> `Maltrail malware/qakbot`) names the source.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rempart.sources.intel.base import IntelBatch, IntelFormat, guess_type


class MaltrailFormat(IntelFormat):
    NAME: ClassVar[str] = "maltrail"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "Maltrail trail list (one trail a line, # comments)"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.decode("utf-8", "replace")
        if "maltrail" in text[:400].lower():
            return True
        lines = [ln.strip() for ln in text.splitlines()[:-1] if ln.strip()]
        trails = [ln for ln in lines if not ln.startswith("#")]
        if not trails or not any(ln.startswith("#") for ln in lines):
            return False
        return all(len(ln.split("#")[0].split()) == 1 for ln in trails)

    def parse(self, path: Path) -> list[IntelBatch]:
        folder = path.parent.name
        name = path.stem if folder in ("", ".", "static", "trails") else f"{folder}/{path.stem}"
        batch = IntelBatch(path, self.NAME, f"Maltrail {name}")
        references: list[str] = []
        after_trail = False
        offset = 0
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                start, offset = offset, offset + len(raw)
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                if line.startswith("#"):
                    if line.lower().startswith("# reference:"):
                        if after_trail:  # a new block of trails starts
                            references, after_trail = [], False
                        references.append(line.split(":", 1)[1].strip())
                    continue
                after_trail = True
                reference = " ".join(references)
                trail, _, comment = line.partition("#")
                trail = trail.strip()
                context = " ".join(x for x in (comment.strip(), reference) if x)
                kind = guess_type(trail)
                if not kind:
                    batch.reject("intel.unknown_type", trail, line=number, offset=start)
                    continue
                batch.add(kind, trail, context=context, line=number, offset=start)
        return [batch]
