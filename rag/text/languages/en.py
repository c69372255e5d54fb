"""English."""
from rag.text.languages import Language

_MARKERS = """the and of to in is was for on that with as by what who when how which where why
are were be been has have had will would this these those from at it its an not
but or they their he she his her did does do can could should about after into
than then there said also more over"""

_STOPWORDS = """
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
"""

_DECLINE = "Not mentioned."

LANGUAGE = Language(
    code="en",
    name="English",
    stemmer="english",
    markers=frozenset(_MARKERS.split()),
    stopwords=frozenset(_STOPWORDS.split()) | frozenset(_MARKERS.split()),
    word_shape=r"(?:ing|ed|tion|ly)$",
    abbreviations=frozenset("""Mr Mrs Ms Mt St Jr Sr Inc Ltd Co Corp Gen Gov Sen Rep Col Lt Sgt Capt Rev Hon vs Vol Fig
        Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec e.g i.e""".split()),
    months=(("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec")),
    days=frozenset("monday tuesday wednesday thursday friday saturday sunday century bc".split()),
    number_words=frozenset("one two three four five six seven eight nine ten eleven twelve dozen hundred thousand "
                           "million billion trillion half".split()),
    people_counters=frozenset("people persons".split()),
    people_nouns=frozenset("people persons residents inhabitants victims evacuees passengers spectators participants "
                           "patients students pupils teachers workers employees staff officers personnel members "
                           "volunteers players athletes runners visitors tourists climbers fishermen farmers "
                           "traders".split()),
    year_cues=frozenset("in year since during".split()),
    year_parts=frozenset("end beginning start middle early late mid".split()),
    question_kinds=(
        ("date", r"\b(?:when|what years?|which years?|what date|in what years?)\b"),
        ("number", r"\b(?:how (?:many|much|long|old|far|big|large|tall|high)|what percentage)\b"),
        ("name", r"\b(?:who|whom|whose|where)\b"),
        ("definition", r"\b(?:what is meant|what does .+ mean|define)\b"
                       r"|^what (?:is|are) (?:an? )?[\w-]+(?: [\w-]+)?\s*\?*$"),
    ),
    question_shapes=(
        ("compare", r"\bcompar(?:e|es|ed|ing|ison)\b|\bdifferences? between\b|\bhow (?:does|do|did) .+ differ\b"),
        ("timeline", r"\btimeline\b|\bchronolog\w*|\bover time\b"
                     r"|\bhow (?:has|have|did) .+ (?:develop|evolve|unfold)\w*"),
        ("list", r"\b(?:what|which|who|where) (?:are |were )?all\b|\blist (?:of |the |all )|\bname (?:all|the)\b"),
        ("summary", r"\bwhat happened\b|\bsummar(?:ise|ize|y)\b|\bwhat (?:is|was) (?:the news|new)\b|\btell me "
                    r"about\b|\bwhat did .+ (?:say|tell|announce)\b|\bwhat (?:are|were) the (?:consequences|"
                    r"effects|results|outcomes)\b|\band (?:what|who|how|why|where|which|when)\b"),
        ("explain", r"^(?:why|how)\b(?! (?:many|much|long|old|far|big|large|tall|high|often)\b)"),
    ),
    enumeration=r"(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
                r"next|finally|lastly)\b",
    shape_words=frozenset("summarise summarize summary news story stories compare comparison difference "
                          "differences timeline chronology happened list tell article".split()),
    count_question=r"\bhow (?:many|much)\s+(?:(?:the|of)\s+)*([^\W\d_]+)",
    copulas=frozenset("is are was were means refers".split()),
    recency_words=("now", "nowadays", "currently", "current", "latest", "most recent", "newest", "this year",
                   "this month", "this week", "today"),
    word_suffixes=(),
    anaphora=frozenset({"it", "that", "this", "they", "them", "he", "she", "his", "her", "their", "there", "those",
                        "these"}),
    addresses_model=(r"\b(?:ignore|disregard|forget)\s+(?:(?:all|any|the|your|of|these|those|every)\s+)*"
                     r"(?:(?:previous|prior|above|earlier|preceding|system|original)\s+)?(?:instructions?|prompts?)\b"
                     r"|\bsystem prompt\b"),
    boilerplate=frozenset({"source", "sources", "answer", "reference"}),
    quantifiers=frozenset("about around approximately nearly almost roughly some total least".split()),
    instructions=("Answer the question using only the numbered article excerpts below. Write a short answer, one "
                  "sentence in English. Copy numbers and names exactly as written in the excerpts, then write the "
                  "number of the excerpt you used, for example [1]. If the excerpts do not contain the answer, "
                  "write only: " + _DECLINE),
    decline=_DECLINE,
    prompt_labels=("Excerpts", "Question", "Answer"),
    prompt_example=("[1] New Bridge Opens (2026-01-10)\nThe new river bridge opened on Saturday. It is 1,200 metres "
                    "long and cost $80 million.",
                    "How long is the new bridge?", "The bridge is 1,200 metres long [1]."),
    refusal="The articles do not say. Here are the closest passages.",
    not_stated="The articles cover this but do not answer “{asked}?” The closest they come:",
    question_words=frozenset(),  # the question is quoted as asked
    example_question="What does “{title}” report?",
    quote_label="Quoted from the article",
    as_of="As of {date} (article date)",
    example_questions=("How many homes were flooded in Bekasi?",
                       "Who was appointed head of the investigation team?"),
    read_as="Asked of the articles in their language as: “{question}”",
)
