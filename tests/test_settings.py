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


@pytest.mark.parametrize("values, message", [
    ({"vector_index": "hnsw"}, "'vector_index' must be one of auto, exact, ivf; got 'hnsw'"),
    ({"query_rewriter": "lm"}, "'query_rewriter' must be one of heuristic, llm"),
    ({"ivf_nprobe": "0"}, "'ivf_nprobe' must be at least 1; got 0"),
    ({"dense_weight": "1.5"}, "'dense_weight' must be between 0 and 1; got 1.5"),
    ({"top_k": "0"}, "'top_k' must be at least 1"),
])
def test_out_of_range_value_is_named(values, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load(values, env={})
    with pytest.raises(SettingsError, match=message):  # the same from the environment
        Settings.load(env={f"RAG_{name.upper()}": value for name, value in values.items()})
