from pathlib import Path

import pytest

from rag.settings import Settings, SettingsError


def test_defaults_env_then_overrides():
    assert Settings.load(env={}).top_k == 5
    env = {"RAG_TOP_K": "8", "RAG_INDEX_DIR": "/tmp/x", "RAG_LLM_EXTRA_BUFTS": "yes"}
    from_env = Settings.load(env=env)
    assert (from_env.top_k, from_env.index_dir, from_env.llm_extra_bufts) == (8, Path("/tmp/x"), True)
    flagged = Settings.load({"top_k": "3", "port": None}, env=env)
    assert flagged.top_k == 3 and flagged.port == 7860  # None = flag not given


def test_unknown_setting_lists_valid_ones():
    with pytest.raises(SettingsError, match="unknown setting 'RAG_TOPK'.*top_k"):
        Settings.load(env={"RAG_TOPK": "3"})
    with pytest.raises(SettingsError, match="unknown setting 'topk'.*valid settings are"):
        Settings.load({"topk": 3}, env={})


def test_wrong_type_is_named():
    with pytest.raises(SettingsError, match="'top_k' expects int"):
        Settings.load(env={"RAG_TOP_K": "many"})


def test_cli_flag_wins_over_env(monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.setenv("RAG_TOP_K", "9")
    monkeypatch.setenv("RAG_PORT", "8000")
    assert main(["settings", "--top-k", "4"]) == 0
    out = capsys.readouterr().out
    assert "top_k = 4" in out and "port = 8000" in out
    monkeypatch.setenv("RAG_NOPE", "1")
    assert main(["settings"]) == 2
    assert "unknown setting 'RAG_NOPE'" in capsys.readouterr().err
