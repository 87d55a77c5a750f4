from __future__ import annotations

import pytest

import rempart.cli  # noqa: F401 - registers every command's messages
from rempart.core.i18n import CATALOG, add, t


def test_every_message_has_both_languages() -> None:
    assert len(CATALOG) > 50
    for key, entry in CATALOG.items():
        assert entry["fr"].strip() and entry["en"].strip(), key


def test_conflicting_registration_is_refused() -> None:
    add("zz_test_key", "un", "one")
    add("zz_test_key", "un", "one")  # same text: fine
    with pytest.raises(ValueError, match="registered twice"):
        add("zz_test_key", "deux", "two")
    assert t("zz_test_key", "en") == "one"
    assert t("no_such_key") == "no_such_key"
