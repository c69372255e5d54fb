"""The interface's words, one language at a time: Indonesian or English, from the browser's language or the
switch at the top of the page (kept in the ``rag_lang`` cookie).

The same keys serve Gradio's i18n (labels, buttons, placeholders, translated in the browser: :data:`I18N`) and
the texts the server writes (states, status lines, reports, messages: :func:`text`). Answers themselves are
written in the question's language (``rag.text.languages``); everything around them is in the interface's.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

LANGUAGES = {"id": "Indonesia", "en": "English"}  # code -> its name in the switch
DEFAULT = "en"  # for a browser that prefers neither
COOKIE = "rag_lang"

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        # the page
        "header": "**Berita QA** · tanya jawab berita, sepenuhnya di komputer ini",
        "language": "Bahasa", "chats": "Percakapan", "new_chat": "+ Percakapan baru",
        "saved_chats": "Percakapan tersimpan", "chat_tools": "Ganti nama atau hapus percakapan ini",
        "new_name": "Nama baru", "rename": "Ganti nama", "delete_chat": "Hapus percakapan…",
        "confirm_delete": "Ya, hapus", "cancel": "Batal", "open_chat_first": "Buka percakapan dulu.",
        "empty_name": "Nama percakapan tidak boleh kosong.",
        "tab_chat": "Tanya", "tab_search": "Cari", "tab_library": "Perpustakaan", "tab_settings": "Pengaturan",
        "welcome": "### Tanya berita\nJawaban hanya diambil dari artikel yang diindeks, dan setiap jawaban diperiksa: "
                   "kalimat artikel yang dikutipnya harus menyatakannya sebagai jawaban atas pertanyaan itu.",
        "question": "Pertanyaan", "ask": "Tanya", "stop": "■ Berhenti",
        "first_run": "### Belum ada artikel\nBerita QA menjawab pertanyaan dari artikel berita Anda sendiri, tanpa "
                     "internet. Taruh berkas artikel ({formats}) di folder {folder}: yang ditaruh di sana "
                     "diindeks otomatis. Atau unggah di sini:",
        "upload": "Unggah artikel…",
        # search
        "search_box": "Kata atau pertanyaan", "search": "Cari", "show_scores": "Tampilkan skor",
        "no_passages": "Tidak ada bagian artikel yang cocok.",
        # library
        "index_details": "Rincian indeks", "add_files": "Tambahkan artikel ({formats})", "add": "Tambahkan",
        "rebuild": "Indeks ulang dari folder", "filter": "Saring artikel", "filter_hint": "kata di kolom mana pun",
        "choose_files": "Pilih berkas dulu.", "title": "Judul", "date": "Tanggal", "article_language": "Bahasa",
        "file": "Berkas", "added": "Ditambahkan", "remove": "Hapus…", "confirm_remove": "Ya, hapus",
        "no_articles": "Belum ada artikel.", "no_match": "Tidak ada artikel yang cocok dengan saringan.",
        "remove_file": "Hapus **{title}**? Berkasnya, {file}, dihapus dari folder artikel, lalu indeks "
                       "diperbarui.",
        "remove_line": "Hapus **{title}**? Hanya barisnya di {file} yang dihapus; artikel lain di berkas itu "
                       "tetap ada. Lalu indeks diperbarui.",
        "gone": "Artikel itu sudah tidak ada di indeks.",
        "ask_article": "Tanya artikel ini", "scoped": "Pertanyaan hanya tentang artikel: **{title}**",
        "all_articles": "× Semua artikel",
        "status": "{articles} · diperbarui {ago}", "no_index": "Belum ada indeks: tambahkan artikel.",
        "reading": "Membaca artikel…", "embedding": "Mengindeks {articles}… {done}/{total}",
        "writing": "Menyimpan indeks…",
        "changed": "{what} {ago}", "rebuild_failed": "Pengindeksan gagal {ago}; log server memuat rinciannya",
        "one_article": "1 artikel", "n_articles": "{n} artikel", "n_added": "{articles} ditambahkan",
        "n_changed": "{articles} diubah", "n_removed": "{articles} dihapus", "n_renamed": "{articles} berganti nama",
        "n_updated": "{articles} diperbarui",
        "nothing_changed": "Tidak ada artikel yang berubah", "saved": "Disimpan: {names}",
        "rejected": "Ditolak: {name} ({reason})", "skipped": "Dilewati: {name} ({reason})",
        "unsupported": "jenis berkas tidak didukung; yang didukung: {formats}",
        "too_large": "berkas terlalu besar; batasnya {limit} MB", "unreadable": "tidak dapat dibaca sebagai artikel",
        "just_now": "baru saja", "minutes_ago": "{n} menit lalu", "hours_ago": "{n} jam lalu",
        "days_ago": "{n} hari lalu",
        # settings
        "top_k": "Bagian artikel per jawaban",
        "top_k_help": "Berapa bagian artikel yang dicari dan dibaca untuk setiap jawaban; lebih banyak menemukan "
                      "lebih banyak, tetapi jawaban lebih lambat.",
        "llm_model": "Model penjawab",
        "llm_model_help": "Model yang menulis jawaban; yang lebih besar menjawab lebih baik dan lebih lambat. "
                          "Bisa juga jalur berkas .gguf.",
        "llm_served": "Ditentukan oleh server model (llm_base_url).",
        "temperature": "Suhu",
        "temperature_help": "Pada 0 pertanyaan yang sama selalu mendapat jawaban yang sama; lebih tinggi "
                            "memvariasikan kata-katanya.",
        "max_answer_tokens": "Jawaban terpanjang (token)",
        "max_answer_tokens_help": "Satu token kira-kira ¾ kata. Jawaban berupa satu kalimat pendek; buktinya "
                                  "dikutip di sampingnya.",
        "apply": "Terapkan",
        "applied": "Diterapkan: bagian per jawaban {top_k} · model {model} · suhu {temperature} · jawaban "
                   "terpanjang {tokens} token.",
        "not_applied": "Tidak diterapkan: {reason}",
        "bad_value": "{label} harus {allowed}.", "between": "antara {low} dan {high}", "at_least": "paling kecil {low}",
        "bad_model": "model “{model}” tidak dapat dimuat di komputer ini. Pilih model dari daftar, atau jalur berkas "
                     ".gguf yang ada.",
        "failed": "Tidak berhasil; log server memuat rinciannya.",
        # the chat
        "type_first": "Ketik pertanyaan dulu.", "searching": "Mencari di artikel…",
        "writing_answer": "Menulis jawaban — belum diperiksa…", "evidence": "Bukti dari artikel", "sources": "Sumber",
        "dropped": "Dihapus dari jawaban karena tidak didukung artikel",
        "open_article": "Buka artikel", "stopped": "Dihentikan. Bukti yang sudah ditemukan:", "scores": "Skor",
        "library_empty": "Perpustakaan masih kosong: tambahkan artikel di tab Perpustakaan, atau taruh berkasnya "
                         "di folder artikel.",
        "nothing_found": "Tidak ada artikel yang membahas pertanyaan ini.",
        "too_long": "Pertanyaan ini terlalu panjang (batasnya {limit} karakter): ajukan pertanyaan yang lebih "
                    "pendek.",
        "no_model": "Model penjawab tidak dapat dimuat: pilih model lain di Pengaturan.",
        "server_down": "Server model tidak dapat dihubungi. Coba lagi sebentar lagi.",
        "cannot_answer": "Pertanyaan ini tidak dapat dijawab sekarang. Coba lagi sebentar lagi.",
        "bug": "Terjadi kesalahan. Log server memuat rinciannya.",
        "months": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des",
    },
    "en": {
        "header": "**Berita QA** · questions about the news, answered entirely on this computer",
        "language": "Language", "chats": "Chats", "new_chat": "+ New chat", "saved_chats": "Saved chats",
        "chat_tools": "Rename or delete this chat", "new_name": "New name", "rename": "Rename",
        "delete_chat": "Delete chat…", "confirm_delete": "Yes, delete", "cancel": "Cancel",
        "open_chat_first": "Open a chat first.", "empty_name": "A chat's name cannot be empty.",
        "tab_chat": "Chat", "tab_search": "Search", "tab_library": "Library", "tab_settings": "Settings",
        "welcome": "### Ask the news\nAnswers come only from the indexed articles, and each one is checked: the "
                   "article sentence it quotes must state it as the answer to the question.",
        "question": "Question", "ask": "Ask", "stop": "■ Stop",
        "first_run": "### No articles yet\nBerita QA answers questions from your own news articles, with no "
                     "internet. Put article files ({formats}) in the folder {folder}: what you put there is "
                     "indexed by itself. Or upload them here:",
        "upload": "Upload articles…",
        "search_box": "Words or a question", "search": "Search", "show_scores": "Show scores",
        "no_passages": "No matching passages.",
        "index_details": "Index details", "add_files": "Add articles ({formats})", "add": "Add",
        "rebuild": "Re-index from the folder", "filter": "Filter articles", "filter_hint": "words in any column",
        "choose_files": "Choose files first.", "title": "Title", "date": "Date", "article_language": "Language",
        "file": "File", "added": "Added", "remove": "Remove…", "confirm_remove": "Yes, remove it",
        "no_articles": "No articles yet.", "no_match": "No article matches the filter.",
        "remove_file": "Remove **{title}**? Its file, {file}, is deleted from the articles folder, then the "
                       "index is updated.",
        "remove_line": "Remove **{title}**? Only its line in {file} is deleted; the other articles in that file "
                       "stay. Then the index is updated.",
        "gone": "That article is no longer in the index.",
        "ask_article": "Ask about this article", "scoped": "Questions are about one article only: **{title}**",
        "all_articles": "× All articles",
        "status": "{articles} · updated {ago}", "no_index": "No index yet: add articles.",
        "reading": "Reading the articles…", "embedding": "Indexing {articles}… {done}/{total}",
        "writing": "Saving the index…",
        "changed": "{what} {ago}", "rebuild_failed": "Indexing failed {ago}; the server log has the details",
        "one_article": "1 article", "n_articles": "{n} articles", "n_added": "{articles} added",
        "n_changed": "{articles} changed", "n_removed": "{articles} removed", "n_renamed": "{articles} renamed",
        "n_updated": "{articles} updated",
        "nothing_changed": "No article changed", "saved": "Saved: {names}",
        "rejected": "Refused: {name} ({reason})", "skipped": "Skipped: {name} ({reason})",
        "unsupported": "file type not supported; supported: {formats}",
        "too_large": "file too large; the limit is {limit} MB", "unreadable": "cannot be read as an article",
        "just_now": "just now", "minutes_ago": "{n} min ago", "hours_ago": "{n} h ago", "days_ago": "{n} days ago",
        "top_k": "Passages per answer",
        "top_k_help": "How many article passages are found and read for each answer; more finds more and makes "
                      "answers slower.",
        "llm_model": "Answering model",
        "llm_model_help": "The model that writes answers; bigger models answer better and slower. Also takes the "
                          "path of a .gguf file.",
        "llm_served": "Set by the model servers (llm_base_url).",
        "temperature": "Temperature",
        "temperature_help": "At 0 the same question always gets the same answer; higher varies the wording.",
        "max_answer_tokens": "Longest answer (tokens)",
        "max_answer_tokens_help": "A token is about ¾ of a word. Answers are one short sentence; the evidence is "
                                  "quoted beside them.",
        "apply": "Apply",
        "applied": "Applied: passages per answer {top_k} · model {model} · temperature {temperature} · longest "
                   "answer {tokens} tokens.",
        "not_applied": "Not applied: {reason}",
        "bad_value": "{label} must be {allowed}.", "between": "between {low} and {high}", "at_least": "at least {low}",
        "bad_model": "the model “{model}” cannot be loaded on this computer. Pick a model from the list, or the path "
                     "of a .gguf file that exists.",
        "failed": "That did not work; the server log has the details.",
        "type_first": "Type a question first.", "searching": "Searching the articles…",
        "writing_answer": "Writing the answer — not checked yet…", "evidence": "Evidence from the articles",
        "sources": "Sources", "dropped": "Removed from the answer: not supported by the articles",
        "open_article": "Open article", "stopped": "Stopped. The evidence found so far:", "scores": "Scores",
        "library_empty": "The library is empty: add articles in the Library tab, or put their files in the "
                         "articles folder.",
        "nothing_found": "No article is about this question.",
        "too_long": "This question is too long (the limit is {limit} characters): ask a shorter one.",
        "no_model": "The answering model cannot be loaded: choose another in Settings.",
        "server_down": "The model servers cannot be reached. Try again in a moment.",
        "cannot_answer": "This question cannot be answered now. Try again in a moment.",
        "bug": "Something went wrong. The server log has the details.",
        "months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    },
}


def i18n(formats: str = ""):
    """Gradio's translations of the keys (``gr.I18n``): what the browser shows in the chosen language, with the
    article ``formats`` filled in."""
    import gradio as gr

    return gr.I18n(**{code: {key: words.replace("{formats}", formats) for key, words in texts.items()}
                      for code, texts in TEXTS.items()})


def text(language: str, key: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (English for a language the interface does not speak), filled in."""
    words = TEXTS.get(language, TEXTS[DEFAULT])[key]
    return words.format(**values) if values else words


def number(language: str, n: int) -> str:
    """``n`` with its thousands marked as ``language`` writes them: "1,355" ("1.355")."""
    return f"{n:,}".replace(",", "." if language == "id" else ",")


def count_articles(language: str, n: int) -> str:
    """"1 article", "39 articles" ("39 artikel")."""
    return text(language, "one_article") if n == 1 else text(language, "n_articles", n=number(language, n))


def ui_language(request: Any) -> str:
    """The interface's language for a request: the ``rag_lang`` cookie (set by the page: the switch, else the
    browser's language), else the first of ``Accept-Language`` the interface speaks, else English."""
    cookies = getattr(request, "cookies", None) or {}
    if cookies.get(COOKIE) in LANGUAGES:
        return cookies[COOKIE]
    headers = getattr(request, "headers", None) or {}
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


def ago(moment: datetime, language: str, now: datetime | None = None) -> str:
    """How long ago ``moment`` was: "baru saja", "2 menit lalu", "3 jam lalu", "4 hari lalu"."""
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if seconds < 45:
        return text(language, "just_now")
    if seconds < 90 * 60:
        return text(language, "minutes_ago", n=max(1, round(seconds / 60)))
    if seconds < 36 * 3600:
        return text(language, "hours_ago", n=round(seconds / 3600))
    return text(language, "days_ago", n=round(seconds / 86400))


def when(timestamp: float, language: str, seconds: bool = False) -> str:
    """A chat's last use, short: "14:05" today, else "3 Jun 14:05" (local time; "14:05:09" with ``seconds``)."""
    moment, today = time.localtime(timestamp), time.localtime()
    clock = time.strftime("%H:%M:%S" if seconds else "%H:%M", moment)
    if moment[:3] == today[:3]:
        return clock
    return f"{moment.tm_mday} {text(language, 'months').split()[moment.tm_mon - 1]} {clock}"
