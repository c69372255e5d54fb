"""Candidate fusion rules for bench/experiments/fusion_lab.py (each: (question dict, SetData) -> fused scores).

Every rule tried while choosing rag/retrieve/fusion.py's adaptive fusion, kept so the numbers in docs/fusion.md
can be re-run. "cov each" is the adopted rule (``adaptive_fusion``); "weighted 0.5" the old default.
Families: fixed weights; RRF; per-query leg confidence from normalised score gaps (conf gap, C1-C6);
coverage of BM25's top hit as the lexical weight (cov top); coverage of each passage (cov each and
variants); z-score and max (top-score) normalisation; both legs scored exactly on the union pool.
"""
from __future__ import annotations

from collections import Counter

from bench.retrieval import rrf_fusion, zscore
from rag.retrieve.fusion import normalise, weighted_fusion


def bm25_scorer(data, k1: float = 1.5, b: float = 0.75):
    """BM25 (bm25s' Lucene variant) of any chunk for a token list, from the dumped chunk tokens."""
    tf = {cid: Counter(c["tokens"] or ["<empty>"]) for cid, c in data.chunks.items()}
    length = {cid: sum(t.values()) for cid, t in tf.items()}
    avg = sum(length.values()) / len(length)

    def score(tokens: list[str], cid: int) -> float:
        total = 0.0
        for t in tokens:
            f = tf[cid].get(t, 0)
            if f:
                total += data.idf(t) * f / (f + k1 * (1 - b + b * length[cid] / avg))
        return total
    return score


def dense(q, d):
    return q["dense"]


def lexical(q, d):
    return q["lexical"]


def weighted(w):
    return lambda q, d: weighted_fusion(q["dense"], q["lexical"], w)


def mix(dn, ln, wd, wl):
    return {k: wd * dn.get(k, 0.0) + wl * ln.get(k, 0.0) for k in dn.keys() | ln.keys()}


def gap(scores, k=5):
    """(s1 - sk) / (s1 - s_last): how far the leg's top stands out of its own candidate range."""
    v = sorted(scores.values(), reverse=True)
    if len(v) < 2 or v[0] - v[-1] < 1e-9:
        return 0.0
    return (v[0] - v[min(k, len(v)) - 1]) / (v[0] - v[-1])


def conf_gap(k=5):
    def rule(q, d):
        gd, gl = gap(q["dense"], k), gap(q["lexical"], k)
        wd = gd / (gd + gl) if gd + gl > 0 else 0.5
        return weighted_fusion(q["dense"], q["lexical"], wd)
    return rule


def coverage(q, d, cid, idf=True):
    """Share of the query's distinct stems (idf-weighted) that occur in chunk ``cid``."""
    wanted = set(q["query_tokens"])
    if not wanted:
        return 0.0
    have = d.token_sets[cid]
    w = (lambda t: d.idf(t)) if idf else (lambda t: 1.0)
    total = sum(w(t) for t in wanted)
    return sum(w(t) for t in wanted if t in have) / total if total else 0.0


def top_lexical(q):
    lex = q["lexical"]
    return max(lex, key=lambda c: (lex[c], -c)) if lex else None


def cov_top(idf=True, power=1.0, base=0.0):
    """Dense weight 1, lexical weight = coverage of BM25's top hit (old default when coverage = 1)."""
    def rule(q, d):
        top = top_lexical(q)
        c = coverage(q, d, top, idf) ** power if top is not None else 0.0
        c = base + (1 - base) * c
        return mix(normalise(q["dense"]), normalise(q["lexical"]), 1.0, c)
    return rule


def cov_top_weight(idf=True):
    """Dense weight 1 - c/2: c = 1 -> 0.5 (old default), c = 0 -> dense alone."""
    def rule(q, d):
        top = top_lexical(q)
        c = coverage(q, d, top, idf) if top is not None else 0.0
        return weighted_fusion(q["dense"], q["lexical"], 1 - c / 2)
    return rule


def rrf(k):
    return lambda q, d: rrf_fusion(q["dense"], q["lexical"], k)


RULES = {
    "dense": dense,
    "lexical": lexical,
    "weighted 0.5": weighted(0.5),
    "rrf 60": rrf(60),
    "rrf 10": rrf(10),
    "rrf 2": rrf(2),
    **{f"weighted {w}": weighted(w) for w in (0.4, 0.6, 0.7)},
    "conf gap k5": conf_gap(5),
    "conf gap k2": conf_gap(2),
    "conf gap k10": conf_gap(10),
    "cov top idf (wl=c)": cov_top(True),
    "cov top plain (wl=c)": cov_top(False),
    "cov top idf^2": cov_top(True, 2),
    "cov top idf wd=1-c/2": cov_top_weight(True),
}


def zfusion(w):
    return lambda q, d: mix(zscore(q["dense"]), zscore(q["lexical"]), w, 1 - w)


def maxnorm(scores, floor=0.0):
    """(s - floor) / (top - floor): the top is 1, the rest keep their distance from the floor."""
    if not scores:
        return {}
    top = max(scores.values())
    if top - floor < 1e-9:
        return dict.fromkeys(scores, 0.0)
    return {k: max(0.0, (v - floor) / (top - floor)) for k, v in scores.items()}


def maxfusion(w, floor=0.745, absent_dense="zero"):
    def rule(q, d):
        dn, ln = maxnorm(q["dense"], floor), maxnorm(q["lexical"])
        if absent_dense == "min" and dn:
            lo = min(dn.values())
            dn = {**dict.fromkeys(ln, lo), **dn}
        return mix(dn, ln, w, 1 - w)
    return rule


def maxfusion_cov(floor=0.745):
    def rule(q, d):
        top = top_lexical(q)
        c = coverage(q, d, top) if top is not None else 0.0
        return mix(maxnorm(q["dense"], floor), maxnorm(q["lexical"]), 1.0, c)
    return rule


RULES.update({
    "zscore 0.5": zfusion(0.5),
    "zscore 0.6": zfusion(0.6),
    "max floor.745 w.5": maxfusion(0.5),
    "max floor.745 w.5 absent=min": maxfusion(0.5, absent_dense="min"),
    "max floor.70 w.5": maxfusion(0.5, 0.70),
    "max floor.78 w.5": maxfusion(0.5, 0.78),
    "max floor0 w.5": maxfusion(0.5, 0.0),
    "max floor.745 w.4": maxfusion(0.4),
    "max floor.745 w.6": maxfusion(0.6),
    "max floor.745 + cov": maxfusion_cov(),
})


def cov_each(w=0.5, power=1.0, invocab=False):
    """Lexical score of each candidate times the (idf-weighted) share of query stems it contains."""
    def rule(q, d):
        wanted = set(q["query_tokens"])
        if invocab:
            wanted = {t for t in wanted if t in d.df}
        total = sum(d.idf(t) for t in wanted)
        def cov(cid):
            if not total:
                return 0.0
            have = d.token_sets[cid]
            return (sum(d.idf(t) for t in wanted if t in have) / total) ** power
        dn, ln = normalise(q["dense"]), normalise(q["lexical"])
        keys = dn.keys() | ln.keys()
        return {k: w * dn.get(k, 0.0) + (1 - w) * ln.get(k, 0.0) * cov(k) for k in keys}
    return rule


def cov_bonus(w=0.5, beta=0.5):
    """Old fusion plus beta * coverage of each candidate (coverage as a third, exact-match leg)."""
    def rule(q, d):
        wanted = set(q["query_tokens"])
        total = sum(d.idf(t) for t in wanted)
        def cov(cid):
            have = d.token_sets[cid]
            return sum(d.idf(t) for t in wanted if t in have) / total if total else 0.0
        fused = weighted_fusion(q["dense"], q["lexical"], w)
        return {k: v + beta * cov(k) for k, v in fused.items()}
    return rule


RULES.update({
    "cov each": cov_each(),
    "cov each invocab": cov_each(invocab=True),
    "cov each ^2": cov_each(power=2),
    "cov each w.6": cov_each(0.6),
    "cov each w.4": cov_each(0.4),
    "cov bonus .25": cov_bonus(beta=0.25),
    "cov bonus .5": cov_bonus(beta=0.5),
})


def cov_each_plain(q, d):
    wanted = set(q["query_tokens"])
    dn, ln = normalise(q["dense"]), normalise(q["lexical"])
    def cov(k):
        return len(wanted & d.token_sets[k]) / len(wanted) if wanted else 0.0
    return {k: 0.5 * dn.get(k, 0.0) + 0.5 * ln.get(k, 0.0) * cov(k) for k in dn.keys() | ln.keys()}


def cov_each_renorm(q, d):
    wanted = set(q["query_tokens"])
    total = sum(d.idf(t) for t in wanted)
    def cov(k):
        return sum(d.idf(t) for t in wanted if t in d.token_sets[k]) / total if total else 0.0
    lex = {k: v * cov(k) for k, v in q["lexical"].items()}
    return weighted_fusion(q["dense"], lex, 0.5)


RULES.update({"cov each plain": cov_each_plain, "cov each renorm": cov_each_renorm})


def margin_rel(scores, floor=0.0):
    """1 - (s2 - floor) / (s1 - floor): the top hit's lead over the runner-up, relative to its height."""
    v = sorted(scores.values(), reverse=True)
    if not v or v[0] - floor <= 1e-9:
        return 0.0
    if len(v) < 2:
        return 1.0
    return 1 - max(0.0, v[1] - floor) / (v[0] - floor)


def conf_mix(dense_conf, lexical_conf):
    def rule(q, d):
        cd, cl = dense_conf(q, d), lexical_conf(q, d)
        wd = cd / (cd + cl) if cd + cl > 0 else 0.5
        return weighted_fusion(q["dense"], q["lexical"], wd)
    return rule


RULES.update({
    "C1 w=g2_d/(g2_d+relmargin_l)": conf_mix(lambda q, d: gap(q["dense"], 2), lambda q, d: margin_rel(q["lexical"])),
    "C3 w=relm_d(.745)/(..+relm_l)": conf_mix(lambda q, d: margin_rel(q["dense"], 0.745),
                                              lambda q, d: margin_rel(q["lexical"])),
    "C4 w=g5_d/(g5_d+cov_l)": conf_mix(lambda q, d: gap(q["dense"], 5),
                                       lambda q, d: coverage(q, d, top_lexical(q)) if q["lexical"] else 0),
    "C5 w=g10_d/(g10_d+g10_l*cov_l)": conf_mix(
        lambda q, d: gap(q["dense"], 10),
        lambda q, d: gap(q["lexical"], 10) * coverage(q, d, top_lexical(q)) if q["lexical"] else 0),
    "C6 conf gap10 + cov each": lambda q, d: cov_each_w(q, d, gap(q["dense"], 10), gap(q["lexical"], 10)),
})


def cov_each_w(q, d, cd, cl):
    wd = cd / (cd + cl) if cd + cl > 0 else 0.5
    wanted = set(q["query_tokens"])
    total = sum(d.idf(t) for t in wanted)
    def cov(k):
        return sum(d.idf(t) for t in wanted if t in d.token_sets[k]) / total if total else 0.0
    dn, ln = normalise(q["dense"]), normalise(q["lexical"])
    return {k: wd * dn.get(k, 0.0) + (1 - wd) * ln.get(k, 0.0) * cov(k) for k in dn.keys() | ln.keys()}


def full_legs(q, d):
    """Both legs scored exactly on the union of their candidates (no 'absent = 0')."""
    if "full" not in q:
        if not hasattr(d, "bm25"):
            d.bm25 = bm25_scorer(d)
        pool = q["dense"].keys() | q["lexical"].keys()
        qv = q["qvec"]
        dense = {k: float(d.vectors[k] @ qv) for k in pool}
        lex = {k: d.bm25(q["query_tokens"], k) for k in pool}
        q["full"] = (dense, lex)
    return q["full"]


def full_weighted(w):
    def rule(q, d):
        dense, lex = full_legs(q, d)
        return weighted_fusion(dense, lex, w)
    return rule


def full_cov_each(q, d):
    dense, lex = full_legs(q, d)
    wanted = set(q["query_tokens"])
    total = sum(d.idf(t) for t in wanted)
    def cov(k):
        return sum(d.idf(t) for t in wanted if t in d.token_sets[k]) / total if total else 0.0
    dn, ln = normalise(dense), normalise(lex)
    return {k: 0.5 * dn[k] + 0.5 * ln[k] * cov(k) for k in dn}


RULES.update({
    "full pool w.5": full_weighted(0.5),
    "full pool w.6": full_weighted(0.6),
    "full pool cov each": full_cov_each,
})


def top_dense(q):
    return max(q["dense"], key=lambda c: (q["dense"][c], -c))


RULES.update({
    "cov both tops": lambda q, d: mix(normalise(q["dense"]), normalise(q["lexical"]), coverage(q, d, top_dense(q)),
                                      coverage(q, d, top_lexical(q)) if q["lexical"] else 0),
    "cov both tops sqrt": lambda q, d: mix(normalise(q["dense"]), normalise(q["lexical"]),
                                           coverage(q, d, top_dense(q)) ** .5,
                                           (coverage(q, d, top_lexical(q)) if q["lexical"] else 0) ** .5),
})
RULES["lexical x cov (w=0)"] = cov_each(0.0)
