"""Optional per-author signatures of crisis-log entries (Ed25519).

A signature is itself an entry of the log (kind `information`) that links to the signed
entry (`crisis:N`) and carries `sig:ed25519:<public key hex>:<signature hex>` over that entry's
hash: no extra table, and the signature is chained and protected like any entry. An author
keeps the private key (PEM file, `rempart crisis keygen`); anyone can check with the public key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rempart.core.errors import ConfigError
from rempart.recover.crisis import Entry

__all__ = ["SIG_PREFIX", "Signature", "check_signatures", "generate_key", "load_key", "sign_link"]

SIG_PREFIX = "sig:ed25519:"


@dataclass(frozen=True)
class Signature:
    entry: int  # the signed entry
    by: int  # the entry carrying the signature
    author: str
    public_key: str
    valid: bool


def generate_key(path: Path) -> str:
    """A new private key in `path` (PEM, mode 0600); returns the public key (hex)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        raise ConfigError(f"{path} exists: a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return _public_hex(key)


def _public_hex(key: object) -> str:
    from cryptography.hazmat.primitives import serialization

    public = key.public_key()  # type: ignore[attr-defined]
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return bytes(raw).hex()


def load_key(path: Path) -> object:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 key")
    return key


def sign_link(key: object, entry_hash: str) -> str:
    """The link that carries the signature of an entry (its hash, as ASCII hex)."""
    signature = key.sign(entry_hash.encode("ascii"))  # type: ignore[attr-defined]
    return f"{SIG_PREFIX}{_public_hex(key)}:{bytes(signature).hex()}"


def check_signatures(entries: Sequence[Entry]) -> list[Signature]:
    """Every signature entry of the log, checked against the hash of the entry it signs."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    by_seq = {e.seq: e for e in entries}
    out = []
    for e in entries:
        sigs = [link for link in e.links if link.startswith(SIG_PREFIX)]
        targets = [link for link in e.links if link.startswith("crisis:")]
        if not sigs or not targets:
            continue
        try:
            target = int(targets[0].split(":", 1)[1])
        except ValueError:
            target = -1
        for link in sigs:
            pub_hex, _, sig_hex = link[len(SIG_PREFIX) :].partition(":")
            valid = False
            signed = by_seq.get(target)
            if signed is not None:
                try:
                    Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub_hex)).verify(
                        bytes.fromhex(sig_hex), signed.hash.encode("ascii")
                    )
                    valid = True
                except (InvalidSignature, ValueError):
                    valid = False
            out.append(Signature(target, e.seq, e.author, pub_hex, valid))
    return out
