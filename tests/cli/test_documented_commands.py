"""The ``awsip policy print`` commands that README.md and docs/ show run as shown (issue 13).

docs/install.md once wrote ``--external-id "$EXTERNAL_ID"``, which printed a trust policy with an
empty External ID when the variable was unset; such a command now fails, and the documented ones
must not.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from awsip.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/install.md", "docs/tenancy.md", "docs/policy-engine.md")


def documented_print_commands() -> list[tuple[str, list[str]]]:
    found = []
    for name in DOCUMENTS:
        text = (ROOT / name).read_text()
        shell = "\n".join(re.findall(r"```sh\n(.*?)```", text, re.S)).replace("\\\n", " ")
        inline = re.findall(r"`(awsip policy print [^`]*)`", text.replace("\n", " "))
        for line in [*shell.splitlines(), *inline]:
            line = line.strip()
            if line.startswith("awsip policy print"):
                words = shlex.split(line.split(" > ")[0], comments=True)
                found.append((name, words[1:]))
    return found


COMMANDS = documented_print_commands()


def test_the_docs_show_print_commands() -> None:
    assert {name for name, _ in COMMANDS} >= {"README.md", "docs/install.md", "docs/tenancy.md"}
    assert any("--principal-arn" in argv for _, argv in COMMANDS)


@pytest.mark.parametrize(("document", "argv"), COMMANDS, ids=[" ".join(a) for _, a in COMMANDS])
def test_a_documented_command_prints_a_document(
    document: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [word.replace("$EXTERNAL_ID", "a1b2c3d4e5f60718") for word in argv]
    assert main(argv) == 0, (document, capsys.readouterr().err)
    printed = json.loads(capsys.readouterr().out)
    text = json.dumps(printed)
    assert "Statement" in printed and "Kommander" not in text
    if "trust" in argv and "seed" not in argv:
        assert "ec2.amazonaws.com" not in text and ":root" not in text


def test_an_unset_external_id_variable_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    (document, argv), *_ = [(d, a) for d, a in COMMANDS if '"$EXTERNAL_ID"' in a or "$EXTERNAL_ID" in a]
    unset = [word.replace("$EXTERNAL_ID", "") for word in argv]
    assert main(unset) == 2, document
    assert "--external-id is empty" in capsys.readouterr().err
