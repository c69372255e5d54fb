"""Tiny language identification (Indonesian / English) by counting frequent function words."""
from __future__ import annotations

import re


# Small, high-precision marker lists used for detection: words that are frequent in one
# language and (almost) never occur as words in the other.
_MARKERS: dict[str, frozenset[str]] = {
    "id": frozenset(
        """yang dan di ke dari ini itu dengan untuk pada adalah dalam tidak akan juga oleh
        sebagai apa siapa kapan berapa dimana bagaimana mengapa kenapa apakah siapakah berapakah
        kapankah manakah telah sudah belum ada atau tersebut karena saat bahwa kata para lebih
        bisa dapat harus masih serta setelah sejak hingga sampai namun tetapi tapi saja
        kami kita mereka dia ia saya anda menurut secara sekitar banyak baru agar jika kalau
        maka yaitu ialah""".split()
    ),
    "en": frozenset(
        """the and of to in is was for on that with as by what who when how which where why
        are were be been has have had will would this these those from at it its an not
        but or they their he she his her did does do can could should about after into
        than then there said also more over""".split()
    ),
}

_EXTRA_ID = """
aku engkau kamu beliau kalian ini itu sini situ sana begitu begini demikian
adalah ialah merupakan yakni yaitu bahwa karena sebab oleh untuk bagi buat demi guna
dari daripada kepada terhadap tentang mengenai seperti sebagai antara bersama tanpa
dengan dalam pada di ke atas bawah luar antara sekitar sejak hingga sampai selama
ketika saat waktu sewaktu sementara sambil setelah sesudah sebelum lalu kemudian
dan atau serta tetapi tapi namun melainkan sedangkan padahal jika jikalau kalau apabila
bila maka agar supaya meskipun walaupun biarpun kendati
sudah telah sedang masih akan belum pernah baru segera
tidak tak bukan jangan belum
ada adanya juga pun lah kah tah nya
saja hanya cuma lagi pula bahkan justru memang tentu pasti mungkin barangkali
sangat amat paling lebih kurang terlalu cukup agak
semua segala seluruh setiap tiap masing para banyak beberapa sebagian
yang ini itu tersebut
bisa dapat boleh harus mesti perlu mau ingin hendak
apa siapa kapan berapa dimana di mana mana bagaimana mengapa kenapa manakah apakah
siapakah berapakah kapankah bagaimanakah mengapakah dimanakah
kata ujar ucap menurut
""".split()

_EXTRA_EN = """
a an the and or but nor so yet if then else than because while although though
of to in on at by for with from into onto over under about above below between among
through during before after since until upon within without against along across
is am are was were be been being has have had having do does did doing
will would shall should can could might must
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
this that these those there here
what who whom whose which when where why how
not no nor only own same too very just also more most other some such any each few
all both again further once out off up down
said says
""".split()

#: Fuller stopword lists, for lexical retrieval (query/document term filtering).
#: Multi-word entries (e.g. "di mana") are included as-is for phrase-aware callers.
STOPWORDS: dict[str, frozenset[str]] = {
    "id": frozenset(_EXTRA_ID) | _MARKERS["id"] | frozenset({"di mana"}),
    "en": frozenset(_EXTRA_EN) | _MARKERS["en"],
}

_WORD_RE = re.compile(r"[a-zA-Z]+")


def detect_language(text: str) -> str:
    """Return ``"id"``, ``"en"`` or ``"und"`` for ``text`` by counting marker function words.

    Works on short questions ("Berapa harga beras?") as well as full articles.
    Ties and texts without any marker word give ``"und"``.
    """
    if not text:
        return "und"
    words = _WORD_RE.findall(text[:20_000].lower())
    if not words:
        return "und"
    scores = {lang: sum(1 for w in words if w in markers) for lang, markers in _MARKERS.items()}
    # Indonesian affixes are a useful secondary signal on very short texts.
    if scores["id"] == scores["en"]:
        affixed = sum(1 for w in words if re.match(r"^(me[mnr]?|ber|ter|di|pe[mnr]?)\w{3,}", w)
                      or w.endswith(("nya", "kan", "lah")))
        english_ish = sum(1 for w in words if w.endswith(("ing", "ed", "tion", "ly")))
        scores = {"id": scores["id"] + 0.5 * affixed, "en": scores["en"] + 0.5 * english_ish}
    best = max(scores, key=scores.get)
    other = "en" if best == "id" else "id"
    if scores[best] == 0 or scores[best] == scores[other]:
        return "und"
    return best
