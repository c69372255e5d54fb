"""Milvus's own BM25 (a BM25 function over an analyzed text field) against the product's BM25 on its own
stems, for the lexical leg alone: which retrieves better on the shared eval sets?

    python -m bench.experiments.milvus_bm25           # facqa-valid, xquad-en (needs bench/backends.py's indexes)
    python -m bench.experiments.milvus_bm25 --sets tydiqa-id-valid

The chunks are those bench/backends.py indexed (bench/out/backends/local/<set>). Three lexical legs, each the
top 50 chunks ranked by article (R@1/5/20, MRR@10 at article level, as bench/retrieval.py):
- ``own stems``: the product's leg (rag.indexing.lexical, bm25s over rag.text.tokens stems; the Milvus backend
  computes the same scores as sparse vectors),
- ``Milvus BM25, standard analyzer``: a Milvus BM25 function over the raw chunk text with the ``standard``
  analyzer (Milvus Lite 3 offers ``standard`` and ``jieba``; neither stems Indonesian),
- ``Milvus BM25 over own stems``: the same function fed the product's stems as text (stemming ours, scoring
  Milvus's).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.eval.metrics import article_rank, gold_aliases, gold_article, load_questions, ranking_metrics
from rag.indexing.reader import Index
from rag.text.language import detect_language
from rag.text.query import make_query
from rag.text.tokens import tokenize

KS = (1, 5, 20)


def milvus_leg(client, name: str, texts: dict[int, str]):
    """A collection with a BM25 function over ``texts`` (chunk id -> text); returns a search function."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"bm25_k1": 1.5, "bm25_b": 0.75})
    client.create_collection(name, schema=schema, index_params=index)
    rows = [{"id": cid, "text": text or "<empty>"} for cid, text in texts.items()]
    for start in range(0, len(rows), 1000):
        client.insert(name, rows[start:start + 1000])
    client.flush(name)

    def search(text: str) -> dict[int, float]:
        if not text.strip():
            return {}
        hits = client.search(name, data=[text], anns_field="sparse", limit=50, search_params={"metric_type": "BM25"})
        # Ranked by position: Milvus Lite 3.2 returns BM25 scores negated (a server returns them positive).
        return {int(h["id"]): 1.0 / (rank + 1) for rank, h in enumerate(hits[0])}
    return search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="facqa-valid,xquad-en")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "backends")
    args = parser.parse_args()
    from pymilvus import MilvusClient

    folder = Path(tempfile.mkdtemp(prefix="milvus-bm25-"))
    client = MilvusClient(str(folder / "bm25.db"))
    print("| set | lexical leg | R@1 | R@5 | R@20 | MRR@10 |\n|---|---|---|---|---|---|")
    try:
        for n, name in enumerate(args.sets.split(",")):
            with Index.open(args.out / "local" / name) as index:
                chunks = list(index.store.all_chunks())
                alias = gold_aliases(index.store)
                article_of = {c.id: c.article_id for c in chunks}
                questions = [q for q in load_questions(EVAL_DIR / name / "questions.jsonl") if q.article_id]
                raw = milvus_leg(client, f"raw_{n}", {c.id: c.text for c in chunks})
                stems = milvus_leg(client, f"stems_{n}", {c.id: " ".join(tokenize(c.text, c.language))
                                                         for c in chunks})
                ranks: dict[str, list] = {"own stems (product)": [], "Milvus BM25, standard analyzer": [],
                                          "Milvus BM25 over own stems": []}
                for q in questions:
                    query = make_query(q.question, detect_language(q.question))
                    gold = gold_article(q, alias)
                    for leg, scores in (("own stems (product)", dict(index.lexical.search(query, 50))),
                                        ("Milvus BM25, standard analyzer", raw(q.question)),
                                        ("Milvus BM25 over own stems", stems(" ".join(query.stems)))):
                        ranks[leg].append(article_rank(scores, gold, article_of))
            for leg, values in ranks.items():
                m = ranking_metrics(values, KS)
                print(f"| {name} ({len(values)}) | {leg} | {m['recall@1']:.3f} | {m['recall@5']:.3f} "
                      f"| {m['recall@20']:.3f} | {m['mrr@10']:.3f} |", flush=True)
    finally:
        client.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
