"""The build plan, decided without disk or model: add, change, rename, duplicate, delete, keep-unreadable."""
from __future__ import annotations

from rag.indexing.plan import content_hash, dedupe, file_of, plan
from rag.indexing.store import StoredArticle
from rag.types import Article, Problem


def article(article_id: str, text: str, source: str | None = None, url: str | None = None) -> Article:
    return Article(id=article_id, title=article_id.title(), text=text, source=source or f"{article_id}.md", url=url)


def stored(a: Article, sources: list[str] | None = None) -> StoredArticle:
    return StoredArticle(a.id, content_hash(a), a.title, a.text, a.published, a.url, a.language,
                         sources or [a.source])


def entries(*articles: Article):
    return dedupe(articles)[0]


GEMPA, PASAR, JEMBATAN = (article("gempa", "Gempa mengguncang Cianjur."), article("pasar", "Pasar terapung ramai."),
                          article("jembatan", "Jembatan baru dibuka."))


def test_a_new_article_is_added_and_an_unchanged_one_kept():
    result = plan(entries(GEMPA, PASAR), {"gempa": stored(GEMPA)})
    assert result.added == ["pasar"] and [e.article.id for e in result.embed] == ["pasar"]
    assert result.unchanged == 1 and not (result.changed or result.removed or result.renamed or result.metadata)


def test_a_changed_article_is_embedded_again():
    changed = article("gempa", "Gempa mengguncang Cianjur. Ratusan rumah rusak.")
    result = plan(entries(changed), {"gempa": stored(GEMPA)})
    assert result.changed == ["gempa"] and result.added == [] and [e.article for e in result.embed] == [changed]


def test_a_renamed_file_keeps_its_vectors():
    renamed = article("gempa-cianjur", GEMPA.text, "gempa-cianjur.md")
    renamed.title = GEMPA.title  # the same content under a new id
    result = plan(entries(renamed), {"gempa": stored(GEMPA)})
    assert [(old, e.article.id) for old, e in result.renamed] == [("gempa", "gempa-cianjur")]
    assert not (result.embed or result.removed)


def test_duplicates_are_one_entry_with_both_sources():
    copy = article("salinan", GEMPA.text, "salinan.md")
    copy.title = GEMPA.title
    grouped, duplicates = dedupe([GEMPA, copy, PASAR])
    assert [e.sources for e in grouped] == [["gempa.md", "salinan.md"], ["pasar.md"]]
    assert duplicates == [("gempa.md", "salinan.md")]
    result = plan(grouped, {"gempa": stored(GEMPA)})
    assert [e.article.id for e in result.metadata] == ["gempa"]  # a new source: metadata only, no embedding
    assert result.added == ["pasar"]


def test_a_deleted_file_is_removed_but_an_unreadable_one_kept():
    kiriman = article("k1", "Isi kiriman.", "kiriman.jsonl#k1")
    before = {"gempa": stored(GEMPA), "jembatan": stored(JEMBATAN), "k1": stored(kiriman)}
    result = plan(entries(GEMPA), before, [Problem("jembatan.md", "binary file"), Problem("kiriman.jsonl:1", "bad")])
    assert result.removed == [] and sorted(result.kept_unreadable) == ["jembatan", "k1"]
    result = plan(entries(GEMPA), before)
    assert sorted(result.removed) == ["jembatan", "k1"] and not result.kept_unreadable


def test_plan_changes_nothing_it_is_given():
    before = {"gempa": stored(GEMPA)}
    snapshot = repr(before)
    plan(entries(GEMPA, PASAR), before)
    assert repr(before) == snapshot


def test_file_of_a_source():
    assert file_of("a/b.jsonl#id") == "a/b.jsonl" and file_of("a/b.jsonl:7") == "a/b.jsonl"
    assert file_of("c:d.md") == "c:d.md"
