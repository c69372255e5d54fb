"""Indonesian (Bahasa Indonesia)."""
from rag.text.languages import Language

_MARKERS = """yang dan di ke dari ini itu dengan untuk pada adalah dalam tidak akan juga oleh
sebagai apa siapa kapan berapa dimana bagaimana mengapa kenapa apakah siapakah berapakah
kapankah manakah telah sudah belum ada atau tersebut karena saat bahwa kata para lebih
bisa dapat harus masih serta setelah sejak hingga sampai namun tetapi tapi saja
kami kita mereka dia ia saya anda menurut secara sekitar banyak baru agar jika kalau
maka yaitu ialah"""

_STOPWORDS = """
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
"""

_DECLINE = "Tidak disebutkan."

LANGUAGE = Language(
    code="id",
    name="Indonesian",
    stemmer="indonesian",
    markers=frozenset(_MARKERS.split()),
    # "di mana" as a phrase, for phrase-aware callers
    stopwords=frozenset(_STOPWORDS.split()) | frozenset(_MARKERS.split()) | {"di mana"},
    word_shape=r"^(?:me[mnr]?|ber|ter|di|pe[mnr]?)\w{3,}|(?:nya|kan|lah)$",
    abbreviations=frozenset("""Dr dr Drs Dra H Hj Prof Ir No Nos Jl Jln Gg Kec Kab Kel Prov Tbk PT Bpk Sdr Sdri Ny Tn
        Kol Letjen Mayjen Brigjen Jend Kapt Komjen Irjen Kompol AKBP hal hlm Agu Agt Okt Des a.n u.p""".split()),
    months=(("januari", "jan"), ("februari", "feb"), ("maret", "mar"), ("april", "apr"), ("mei",),
            ("juni", "jun"), ("juli", "jul"), ("agustus", "agu", "agt", "ags"), ("september", "sep", "sept"),
            ("oktober", "okt"), ("november", "nov"), ("desember", "des")),
    days=frozenset("senin selasa rabu kamis jumat sabtu minggu abad masehi sm".split()),
    number_words=frozenset("satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus "
                           "ribu juta miliar triliun setengah seratus seribu separuh".split()),
    people_counters=frozenset("orang jiwa".split()),
    people_nouns=frozenset("orang jiwa warga penduduk korban pengungsi penumpang penonton peserta pasien siswa murid "
                           "mahasiswa guru pekerja karyawan buruh petugas personel anggota relawan pemain atlet "
                           "pengunjung wisatawan pendaki nelayan petani pedagang".split()),
    year_cues=frozenset("pada tahun sejak akhir awal pertengahan".split()),
    year_parts=frozenset("akhir awal pertengahan".split()),
    question_kinds=(
        ("date", r"\b(?:kapan\w*|tahun berapa|tanggal berapa|pada tahun apa)\b"),
        ("number", r"\b(?:se)?berapa\w*\b"),
        ("name", r"\b(?:siapa\w*|di ?mana\w*)\b"),
        ("definition", r"\b(?:apa(?:kah)? (?:yang )?(?:di)?maksud|apa(?:kah)? (?:itu|arti|pengertian)|apa arti\w*|"
                       r"pengertian|definisi)\b"),
    ),
    question_shapes=(
        ("compare", r"\b(?:bandingkan|perbandingan|perbedaan|apa beda\w*|beda\w* antara)\b"),
        ("timeline", r"\b(?:perkembangan|kronologi\w*|linimasa|timeline|dari waktu ke waktu)\b"),
        ("list", r"\b(?:apa|siapa|mana|kapan|apakah) saja\b|\b(?:sebutkan|daftar)\b"),
        ("summary", r"\b(?:apa yang terjadi|ringkas\w*|rangkum\w*|ceritakan|kelanjutan\w*|apa isi|isi berita|"
                    r"apa kabar|kabar (?:soal|tentang|terbaru)|apa (?:saja )?(?:akibat|dampak)\w*)\b"
                    r"|\b(?:dan|serta) (?:apa|siapa|bagaimana|kenapa|mengapa|di ?mana|berapa)\b"),
        ("explain", r"^(?:kenapa|mengapa|bagaimana|alasan|penyebab)\b"
                    r"|\b(?:apa (?:alasan|penyebab|sebab)\w*|cara kerja\w*)\b"),
    ),
    enumeration=r"(?:pertama|kedua|ketiga|keempat|kelima|keenam|ketujuh|kedelapan|kesembilan|kesepuluh|"
                r"selanjutnya|terakhir)\b",
    shape_words=frozenset("ringkas ringkasan ringkaskan rangkum rangkuman rangkumkan ceritakan kabar berita isi "
                          "bandingkan perbandingan perbedaan perkembangan kronologi linimasa timeline sebutkan "
                          "daftar terjadi kelanjutan artikel".split()),
    count_question=r"\bberapa(?:kah)?\s+(?:(?:jumlah|banyak(?:nya)?|besar|total)\s+)*([^\W\d_]+)",
    copulas=frozenset("adalah merupakan ialah yaitu yakni berarti disebut".split()),
    recency_words=("sekarang", "saat ini", "terbaru", "terkini", "terakhir", "kini", "tahun ini", "bulan ini",
                   "minggu ini", "pekan ini", "hari ini", "dewasa ini"),
    word_suffixes=("nya", "lah", "kah", "pun", "ku", "mu"),
    anaphora=frozenset({"itu", "tersebut", "ini", "dia", "ia", "mereka", "beliau", "sana", "situ", "nya"}),
    addresses_model=(r"\b(?:abaikan|lupakan|hiraukan)\s+(?:(?:semua|seluruh|segala|setiap)\s+)?"
                     r"(?:instruksi|perintah|arahan|petunjuk|prompt)\b"),
    boilerplate=frozenset({"sumber", "jawaban", "referensi"}),
    quantifiers=frozenset("sebanyak sedikitnya setidaknya sekitar kurang lebih hampir sejumlah total jumlah".split()),
    instructions=("Jawab pertanyaan hanya dengan informasi dari kutipan artikel bernomor di bawah. Tulis jawaban "
                  "singkat, satu kalimat dalam bahasa Indonesia. Salin angka dan nama persis seperti tertulis di "
                  "kutipan, lalu tulis nomor kutipan yang kamu pakai, misalnya [1]. Jika kutipan tidak memuat "
                  "jawabannya, tulis hanya: " + _DECLINE),
    decline=_DECLINE,
    prompt_labels=("Kutipan", "Pertanyaan", "Jawaban"),
    prompt_example=("[1] Jembatan Baru Dibuka (2026-01-10)\nJembatan Sungai Musi yang baru dibuka pada Sabtu. "
                    "Panjangnya 1.200 meter dan dibangun dengan biaya Rp 1,3 triliun.",
                    "Berapa panjang jembatan baru itu?", "Panjang jembatan itu 1.200 meter [1]."),
    refusal="Artikel yang tersedia tidak menyebutkan jawabannya. Berikut bagian artikel yang paling dekat.",
    not_stated="Artikel yang tersedia membahas hal ini, tetapi tidak menyebutkan {asked}. Yang paling dekat:",
    question_words=frozenset("apa apakah siapa siapakah kapan kapankah berapa berapakah mengapa kenapa bagaimana "
                             "bagaimanakah dimana dimanakah di mana manakah ada pada sejak seberapa".split()),
    example_question="Apa isi berita “{title}”?",
    quote_label="Kutipan dari artikel",
    as_of="Per {date} (tanggal artikel)",
    example_questions=("Berapa rumah yang terendam banjir di Bekasi?",
                       "Siapa yang ditunjuk menjadi ketua tim penyidik?"),
    read_as="Ditanyakan ke artikel dalam bahasanya sebagai: “{question}”",
)
