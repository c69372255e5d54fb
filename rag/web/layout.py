"""The page: which components there are, where they sit, and which :class:`rag.web.app.WebUI` call each event
makes. Imported only when the app is built (it imports Gradio). Every label is an i18n key
(:mod:`rag.web.i18n`): the browser shows it in the interface's language."""
from __future__ import annotations

from typing import Any

import gradio as gr

from rag.settings import SPECS, Settings
from rag.web.assets import LOAD_LANGUAGE, SWITCH_LANGUAGE
from rag.web.i18n import DEFAULT, LANGUAGES, i18n, text, ui_language

# Page mechanics, not part of the API (chat, search, library, settings are).
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
POLL_S = 1.0  # how often a page asks for the status: a build's progress moves every second
TABS = ("tab_chat", "tab_search", "tab_library", "tab_settings")


def build(ui) -> gr.Blocks:
    """The Gradio Blocks app of ``ui``, a :class:`rag.web.app.WebUI` (which imports this module)."""
    settings, t = ui.settings, i18n()
    with gr.Blocks(title="Berita QA") as app:
        chat_id = gr.BrowserState(None, storage_key="rag-chat-id")  # the open chat survives a reload
        seen = gr.State({})  # what the page shows of the library (WebUI.poll)
        with gr.Sidebar(label=t("chats"), open=True, elem_id="sidebar"):
            new = gr.Button(t("new_chat"), elem_id="new-chat", variant="secondary")
            chats = gr.Radio(choices=[], label=t("saved_chats"), elem_id="chats")
            with gr.Accordion(t("chat_tools"), open=False, elem_id="chat-tools"):
                title = gr.Textbox(label=t("new_name"), elem_id="chat-title", max_lines=1)
                rename = gr.Button(t("rename"), elem_id="rename-chat", size="sm")
                tool_note = gr.Markdown()
                delete = gr.Button(t("delete_chat"), elem_id="delete-chat", variant="stop", size="sm")
                with gr.Row(visible=False) as confirm_delete:
                    really_delete = gr.Button(t("confirm_delete"), variant="stop", size="sm", elem_id="confirm-delete")
                    keep = gr.Button(t("cancel"), size="sm", elem_id="cancel-delete")
        with gr.Row(elem_id="header", equal_height=True):
            gr.Markdown(t("header"), elem_id="title")
            language = gr.Radio([(name, code) for code, name in LANGUAGES.items()], value=DEFAULT, show_label=False,
                                container=False, elem_id="language")
        with gr.Tab(t("tab_chat"), elem_id="tab-chat") as chat_tab:
            activity = gr.Markdown(elem_id="activity")  # a build under way, in one quiet line
            with gr.Column(visible=False, elem_id="first-run") as first_run:
                welcome = gr.Markdown()
                starter = gr.UploadButton(t("upload"), file_count="multiple", file_types=list(ui.library.formats),
                                          variant="primary", elem_id="first-upload")
            starter_report = gr.Markdown(elem_id="first-report")  # stays when the panel goes: articles came
            chatbot = gr.Chatbot(elem_id="chat", height=560, show_label=False, placeholder=t("welcome"),
                                 examples=[{"text": q} for q in ui.library.example_questions(in_language=DEFAULT)],
                                 buttons=["copy"])
            with gr.Row(elem_id="scope-row", equal_height=True):
                scope_note = gr.Markdown(elem_id="scope")  # the article the chat is scoped to, if any
                unscope = gr.Button(t("all_articles"), elem_id="unscope", size="sm", visible=False, scale=0)
            with gr.Row(equal_height=True):
                question = gr.Textbox(show_label=False, placeholder=t("question"), elem_id="question", scale=5,
                                      max_lines=4, autofocus=True)
                send = gr.Button(t("ask"), variant="primary", elem_id="ask", scale=1, min_width=80)
                stop = gr.Button(t("stop"), variant="stop", elem_id="stop", scale=1, min_width=80, visible=False)
            hint = gr.Markdown(elem_id="question-hint")
            ask_article = gr.Textbox(elem_id="ask-article", container=False)  # hidden: "Ask about this article"
            scope = gr.State("")  # the id of that article ("" for all)
        with gr.Tab(t("tab_search"), elem_id="tab-search") as search_tab:
            with gr.Row(equal_height=True):
                query = gr.Textbox(show_label=False, placeholder=t("search_box"), elem_id="search-box", scale=5)
                search = gr.Button(t("search"), elem_id="search", scale=1, min_width=80)
            scores = gr.Checkbox(False, label=t("show_scores"), elem_id="show-scores")
            results = gr.HTML(elem_id="results")
        with gr.Tab(t("tab_library"), elem_id="tab-library") as library_tab:
            status = gr.Markdown(elem_id="status")
            with gr.Accordion(t("index_details"), open=False):
                details = gr.JSON(ui.details, show_label=False)
            with gr.Row():
                uploads = gr.File(label=t("add_files"), file_count="multiple", elem_id="upload")
                with gr.Column():
                    add = gr.Button(t("add"), variant="primary", elem_id="add")
                    rebuild = gr.Button(t("rebuild"), elem_id="rebuild")
                    report = gr.Markdown(elem_id="report")
            table_filter = gr.Textbox(label=t("filter"), elem_id="filter", placeholder=t("filter_hint"))
            table = gr.HTML(elem_id="articles")
            pick_id = gr.Textbox(elem_id="pick-id", container=False)  # hidden: a row's Remove… button fills it
            index_key = gr.Textbox(elem_id="index-key", container=False)  # hidden: which index the page shows
            picked_id = gr.State("")
            picked = gr.Markdown(elem_id="picked")
            with gr.Row():
                confirm = gr.Button(t("confirm_remove"), variant="stop", elem_id="confirm-remove", visible=False)
                cancel = gr.Button(t("cancel"), elem_id="cancel-remove", visible=False)
        with gr.Tab(t("tab_settings"), elem_id="tab-settings") as settings_tab:
            top_k = _slider(settings, "top_k", t)
            served = settings.llm_backend == "openai"  # the model is the servers' (setting llm_base_url)
            model = gr.Dropdown(choices=[settings.llm_label] if served else ui.library.models,
                                value=settings.llm_label, allow_custom_value=True, label=t("llm_model"),
                                interactive=not served, info=t("llm_served" if served else "llm_model_help"),
                                elem_id="model")
            temperature = _slider(settings, "temperature", t)
            max_tokens = _slider(settings, "max_answer_tokens", t)
            applied = gr.Markdown(elem_id="applied")

            def apply(k: float, m: str, temp: float, n: float, request: gr.Request) -> str:
                values = {"top_k": int(k), "temperature": temp, "max_answer_tokens": int(n)}
                return ui.apply_settings(values if served else {**values, "llm_model": m}, request)

            gr.Button(t("apply"), elem_id="apply", variant="primary").click(
                apply, [top_k, model, temperature, max_tokens], applied, api_name="apply_settings")

        # --- the language and what every page polls: a build's progress, the status; on a new index version the
        # table, the examples and the first-run panel (not every second: the chat's queue position stays shown) ---
        polled = [activity, status, index_key, seen]
        shown = [table, chatbot, first_run, welcome]

        def poll(last: dict | None, request: gr.Request):
            return ui.poll(last, request)

        def index_view(words: str | None, request: gr.Request):
            return ui.index_view(words, request)

        def refresh(request: gr.Request):
            """The server's texts in the page's language; the tabs' labels too, which Gradio does not translate
            again when the language is set after the page is built."""
            language_now = ui_language(request)
            return (*ui.poll({}, request), *(gr.update(label=text(language_now, key)) for key in TABS))

        def open_chat(open_id: str | None, request: gr.Request):
            return ui.open_chat(open_id, request)

        app.load(None, None, language, js=LOAD_LANGUAGE, **PRIVATE).then(
            open_chat, chat_id, [chatbot, chat_id, chats], **PRIVATE).then(
            refresh, None, [*polled, chat_tab, search_tab, library_tab, settings_tab], show_progress="hidden",
            **PRIVATE)
        language.input(None, language, None, js=SWITCH_LANGUAGE, **PRIVATE)
        gr.Timer(POLL_S).tick(poll, seen, polled, queue=False, show_progress="hidden", **PRIVATE)
        index_key.change(index_view, table_filter, shown, show_progress="hidden", **PRIVATE)

        # --- chat events: one answer at a time in-process, more with model servers (waiting users see their place) ---
        def converse(message: str, messages: list, open_id: str | None, article: str, request: gr.Request):
            yield from ui.converse(message, messages, open_id, request, article=article or None)

        def busy():
            return gr.update(visible=False), gr.update(visible=True)

        def idle():
            return gr.update(visible=True), gr.update(visible=False)

        def stream_answer(started, api_name: str | None = None) -> None:
            """After ``started`` has shown Stop: the answer streams, then Ask is back."""
            started.then(converse, [question, chatbot, chat_id, scope], [chatbot, question, hint, chat_id, chats],
                         api_name=api_name, api_visibility="public" if api_name else "private",
                         concurrency_id="llm", concurrency_limit=ui.library.parallel_answers).then(
                idle, None, [send, stop], queue=False, **PRIVATE)

        def example(event: gr.SelectData) -> str:
            return event.value["text"]

        stream_answer(send.click(busy, None, [send, stop], queue=False, **PRIVATE), "chat")
        stream_answer(question.submit(busy, None, [send, stop], queue=False, **PRIVATE))
        stream_answer(chatbot.example_select(example, None, question, queue=False, **PRIVATE).then(
            busy, None, [send, stop], queue=False, **PRIVATE))

        def stop_answer(request: gr.Request):
            ui.stop(request)
            return idle()

        stop.click(stop_answer, None, [send, stop], queue=False, **PRIVATE)
        chats.input(open_chat, chats, [chatbot, chat_id, chats], **PRIVATE)
        unscoped = ("", "", gr.update(visible=False))
        new.click(lambda: ([], None, gr.update(value=None), "", "", *unscoped), None,
                  [chatbot, chat_id, chats, question, hint, scope, scope_note, unscope], queue=False, **PRIVATE)

        def scope_to(picked: str, request: gr.Request):
            return ui.scope_to(picked or "", request)

        ask_article.change(scope_to, ask_article, [scope, scope_note, unscope], **PRIVATE)
        unscope.click(lambda: unscoped, None, [scope, scope_note, unscope], queue=False, **PRIVATE)

        def rename_chat(open_id: str | None, name: str, request: gr.Request):
            return ui.rename_chat(open_id, name, request)

        def delete_chat(open_id: str | None, request: gr.Request):
            return (*ui.delete_chat(open_id, request), gr.update(visible=False))

        rename.click(rename_chat, [chat_id, title], [chats, tool_note], **PRIVATE)
        delete.click(lambda: gr.update(visible=True), None, confirm_delete, queue=False, **PRIVATE)
        keep.click(lambda: gr.update(visible=False), None, confirm_delete, queue=False, **PRIVATE)
        really_delete.click(delete_chat, chat_id, [chatbot, chat_id, chats, confirm_delete], **PRIVATE)

        # --- search ---
        def find(words: str, with_scores: bool, request: gr.Request) -> str:
            return ui.search(words, with_scores, request)

        search.click(find, [query, scores], results, api_name="search")
        query.submit(find, [query, scores], results, **PRIVATE)
        scores.input(find, [query, scores], results, **PRIVATE)

        # --- library: its own queue, so questions are answered while a rebuild runs; its status line shows the
        # build's progress (polled), the report the outcome ---
        def add_files(files: list | None, request: gr.Request):
            return ui.add(files, request)

        def rebuild_folder(request: gr.Request):
            return ui.rebuild(request)

        def pick(value: str, request: gr.Request):
            return ui.pick_article(value or "", request)

        def removed(article_id: str, words: str | None, request: gr.Request):
            return (*ui.remove(article_id, words, request), "", gr.update(visible=False), gr.update(visible=False))

        def remove_article(article_id: str) -> tuple[str, str, str]:
            return ui.remove(article_id)

        def filter_table(words: str | None, request: gr.Request) -> str:
            return ui.table(words, request)

        def changed(event) -> None:
            """After an upload or a re-index: the upload box emptied, the filter applied again, the details."""
            event.then(lambda: None, None, uploads, **PRIVATE).then(filter_table, table_filter, table, **PRIVATE).then(
                ui.details, None, details, **PRIVATE)

        library_event: dict[str, Any] = {"concurrency_id": "library", "show_progress": "minimal"}
        changed(add.click(add_files, uploads, [report, status, table], api_name="add_articles",
                          show_progress_on=[report], **library_event))
        changed(starter.upload(add_files, starter, [starter_report, status, table], show_progress_on=[starter_report],
                               **library_event, **PRIVATE))
        changed(rebuild.click(rebuild_folder, None, [report, status, table], api_name="rebuild",
                              show_progress_on=[report], **library_event))
        pick_id.change(pick, pick_id, [picked_id, picked, confirm, cancel], **PRIVATE)
        cancel.click(lambda: ("", "", gr.update(visible=False), gr.update(visible=False)), None,
                     [picked_id, picked, confirm, cancel], queue=False, **PRIVATE)
        confirm.click(removed, [picked_id, table_filter], [report, status, table, picked, confirm, cancel],
                      show_progress_on=[report], **library_event, **PRIVATE).then(ui.details, None, details,
                                                                                 **PRIVATE)
        gr.api(remove_article, api_name="remove_article", concurrency_id="library")  # for scripts: by id
        table_filter.change(filter_table, table_filter, table, **PRIVATE)
    return app


def _slider(settings: Settings, name: str, t) -> gr.Slider:
    """A setting's slider at its current value, on its declared scale, with its label and help in the
    interface's language."""
    spec = SPECS[name]
    assert spec.scale, f"setting {name!r} declares no scale for a slider"
    low, high, step = spec.scale
    return gr.Slider(low, high, value=getattr(settings, name), step=step, label=t(name), info=t(f"{name}_help"))
