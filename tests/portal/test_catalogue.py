"""The Chinese catalogue: every entry translated and in use by msgfmt's rules (a fuzzy or empty
entry shows its English text in the Chinese UI; a broken format spec makes compilemessages fail)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"', block, re.M)
        if msgid and not block.lstrip().startswith("#~"):
            yield msgid.group(1), block


def test_no_entry_is_fuzzy_or_untranslated():
    problems = []
    for msgid, block in entries():
        if msgid == "" and 'msgid ""\nmsgstr ""\n"Project-Id-Version' in block:
            continue  # the header
        if re.search(r"^#,.*\bfuzzy\b", block, re.M):
            problems.append(f"fuzzy: {msgid}")
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        if not strings or any(first == "" and not rest.strip() for first, rest in strings):
            problems.append(f"untranslated: {msgid}")
    assert problems == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
def test_the_catalogue_passes_msgfmt_format_checks():
    result = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(PO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
