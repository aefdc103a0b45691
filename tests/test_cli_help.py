"""The command line describes itself: a version, and every flag with its default."""

from __future__ import annotations

import argparse
import importlib.metadata

import pytest

from gateway.cli import _parser, main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == (
        f"customer-graph {importlib.metadata.version('customer-graph')}\n"
    )


def test_every_flag_says_what_it_does_and_its_default() -> None:
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    undescribed = []
    for name, command in commands.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            flag = f"{name} {'/'.join(action.option_strings) or action.dest}"
            on_off = isinstance(action, argparse._StoreTrueAction)
            if not action.help or not (on_off or "default" in action.help):
                undescribed.append(flag)
    assert undescribed == []
