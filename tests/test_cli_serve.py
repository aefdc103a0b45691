"""``customer-graph serve`` runs only the config it is told to: ``--config``, else ``CG_CONFIG``.

That it logs the file it loaded, and serves it, is shown by tests/test_replicas.py, whose
replicas are real ``serve`` processes named their config by ``CG_CONFIG``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import cli


def test_serve_without_a_config_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CG_CONFIG", raising=False)
    assert cli.main(["serve"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("no configuration: pass --config FILE or set CG_CONFIG")


def test_serve_reads_the_file_cg_config_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    named = tmp_path / "named.toml"
    named.write_text("[server]\nport = -1\n", encoding="utf-8")
    monkeypatch.setenv("CG_CONFIG", str(named))
    assert cli.main(["serve"]) == 1
    _, err = capsys.readouterr()
    assert "server.port" in err


def test_the_config_option_wins_over_cg_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CG_CONFIG", str(tmp_path / "from-env.toml"))
    option = tmp_path / "from-option.toml"
    assert cli.main(["serve", "--config", str(option)]) == 1
    _, err = capsys.readouterr()
    assert f"{option}: cannot read" in err
    assert "from-env.toml" not in err
