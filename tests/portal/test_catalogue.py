"""The Chinese catalogue: every entry translated and in use by msgfmt's rules (a fuzzy or empty
entry shows its English text in the Chinese UI; a broken format spec makes compilemessages fail)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(po=PO):
    for block in po.read_text(encoding="utf-8").split("\n\n"):
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


SOURCES = ("manage.py", "portal", "tickets", "logistics", "installation", "refunds", "scores", "training",
           "templates", "locale")


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext's xgettext is not installed")
def test_every_string_of_the_code_has_its_chinese_text(tmp_path):
    """makemessages over a copy of the code: a string added to the code without its translation
    would come out untranslated (or fuzzy-matched to a neighbour) in the regenerated catalogue."""
    import sys

    root = PO.parents[3]
    for name in SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"], cwd=tmp_path,
                   check=True, capture_output=True, env={**os.environ, "PORTAL_DATA_DIR": str(tmp_path / "var")})
    regenerated = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    problems = []
    for msgid, block in entries(regenerated):
        if msgid == "" and "Project-Id-Version" in block:
            continue
        if re.search(r"^#,.*\bfuzzy\b", block, re.M) or re.search(r'^msgstr(\[0\])? ""\Z', block.strip(), re.M):
            problems.append(msgid)
    assert problems == []
