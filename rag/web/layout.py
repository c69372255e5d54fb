"""The page: which components there are, where they sit, and which :class:`rag.web.app.WebUI` call each event
makes. Imported only when the app is built (it imports Gradio)."""
from __future__ import annotations

from typing import Any

import gradio as gr

from rag.settings import SPECS, Settings
from rag.web.render import TABLE_HEADERS

# Page mechanics, not part of the API (chat, search, library, settings are).
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
PLACEHOLDER = ("### Tanya berita · Ask the news\nAnswers come only from the indexed articles, and each one is "
               "checked against the article sentence it quotes. Try one of these:")


def build(ui) -> gr.Blocks:
    """The Gradio Blocks app of ``ui``, a :class:`rag.web.app.WebUI` (which imports this module)."""
    settings = ui.settings
    with gr.Blocks(title="Berita QA — offline news chat") as app:
        chat_id = gr.BrowserState(None, storage_key="rag-chat-id")  # the open chat survives a reload
        with gr.Sidebar(label="Chats", open=True, elem_id="sidebar"):
            new = gr.Button("+ New chat", elem_id="new-chat", variant="secondary")
            chats = gr.Radio(choices=[], label="Saved chats", elem_id="chats")
            with gr.Accordion("Rename or delete this chat", open=False, elem_id="chat-tools"):
                title = gr.Textbox(label="New name", elem_id="chat-title", max_lines=1)
                rename = gr.Button("Rename", elem_id="rename-chat", size="sm")
                tool_note = gr.Markdown()
                delete = gr.Button("Delete chat…", elem_id="delete-chat", variant="stop", size="sm")
                with gr.Row(visible=False) as confirm_delete:
                    really_delete = gr.Button("Yes, delete", variant="stop", size="sm", elem_id="confirm-delete")
                    keep = gr.Button("Cancel", size="sm", elem_id="cancel-delete")
        with gr.Tab("Chat", elem_id="tab-chat"):
            chatbot = gr.Chatbot(elem_id="chat", height=560, show_label=False, placeholder=PLACEHOLDER,
                                 examples=[{"text": q} for q in ui.library.example_questions()],
                                 buttons=["copy"])
            with gr.Row(equal_height=True):
                question = gr.Textbox(show_label=False, placeholder="Question / Pertanyaan", elem_id="question",
                                      scale=5, max_lines=4, autofocus=True)
                send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                stop = gr.Button("■ Stop", variant="stop", elem_id="stop", scale=1, min_width=80, visible=False)
            hint = gr.Markdown(elem_id="question-hint")
        with gr.Tab("Search", elem_id="tab-search"):
            with gr.Row(equal_height=True):
                query = gr.Textbox(show_label=False, placeholder="Words or a question", elem_id="search-box",
                                   scale=5)
                search = gr.Button("Search", elem_id="search", scale=1, min_width=80)
            results = gr.HTML(elem_id="results")
        with gr.Tab("Library", elem_id="tab-library"):
            status = gr.Markdown(ui.library.status_line, elem_id="status")
            with gr.Accordion("Index details", open=False):
                details = gr.JSON(ui.library.status, show_label=False)
            with gr.Row():
                uploads = gr.File(label=f"Add articles ({' '.join(ui.library.formats)})", file_count="multiple",
                                  elem_id="upload")
                with gr.Column():
                    add = gr.Button("Add and index", variant="primary", elem_id="add")
                    rebuild = gr.Button("Rebuild from folder", elem_id="rebuild")
                    report = gr.Markdown(elem_id="report")
            table_filter = gr.Textbox(label="Filter articles", elem_id="filter", placeholder="words in any column")
            table = gr.Dataframe(value=ui.table, headers=TABLE_HEADERS, interactive=False, elem_id="articles",
                                 wrap=True, column_widths=["38%", "10%", "8%", "7%", "22%", "15%"])
            picked_id = gr.State("")
            picked = gr.Markdown("Select an article in the table to remove it.", elem_id="picked")
            with gr.Row():
                remove = gr.Button("Remove article…", variant="stop", elem_id="remove", interactive=False)
                confirm = gr.Button("Yes, remove it", variant="stop", elem_id="confirm-remove", visible=False)
                cancel = gr.Button("Cancel", elem_id="cancel-remove", visible=False)
        with gr.Tab("Settings", elem_id="tab-settings"):
            top_k = _slider(settings, "top_k")
            served = settings.llm_backend == "openai"  # the model is the servers' (setting llm_base_url)
            model_spec = SPECS["llm_model"]
            model = gr.Dropdown(choices=[settings.llm_label] if served else ui.library.models,
                                value=settings.llm_label, allow_custom_value=True, label=model_spec.label,
                                interactive=not served,
                                info="Set by the model servers (llm_base_url)." if served else model_spec.plain_help)
            temperature = _slider(settings, "temperature")
            max_tokens = _slider(settings, "max_answer_tokens")
            applied = gr.Markdown()
            gr.Button("Apply", elem_id="apply", variant="primary").click(
                lambda k, m, t, n: ui.apply_settings({"top_k": int(k), "temperature": t, "max_answer_tokens": int(n),
                                                      **({} if served else {"llm_model": m})}),
                [top_k, model, temperature, max_tokens], applied, api_name="apply_settings")

        # --- chat events: one answer at a time in-process, more with model servers (waiting users see their place) ---
        def converse(message: str, messages: list, open_id: str | None, request: gr.Request):
            yield from ui.converse(message, messages, open_id, request)

        def busy():
            return gr.update(visible=False), gr.update(visible=True)

        def idle():
            return gr.update(visible=True), gr.update(visible=False)

        def stream_answer(started, api_name: str | None = None) -> None:
            """After ``started`` has shown Stop: the answer streams, then Ask is back."""
            started.then(converse, [question, chatbot, chat_id], [chatbot, question, hint, chat_id, chats],
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

        stop.click(stop_answer, None, None, queue=False, **PRIVATE)

        def open_chat(open_id: str | None, request: gr.Request):
            return ui.open_chat(open_id, request)

        app.load(open_chat, chat_id, [chatbot, chat_id, chats], **PRIVATE)
        chats.input(open_chat, chats, [chatbot, chat_id, chats], **PRIVATE)
        new.click(lambda: ([], None, gr.update(value=None), "", ""), None, [chatbot, chat_id, chats, question, hint],
                  queue=False, **PRIVATE)

        def rename_chat(open_id: str | None, name: str, request: gr.Request):
            return ui.rename_chat(open_id, name, request)

        def delete_chat(open_id: str | None, request: gr.Request):
            return (*ui.delete_chat(open_id, request), gr.update(visible=False))

        rename.click(rename_chat, [chat_id, title], [chats, tool_note], **PRIVATE)
        delete.click(lambda: gr.update(visible=True), None, confirm_delete, queue=False, **PRIVATE)
        keep.click(lambda: gr.update(visible=False), None, confirm_delete, queue=False, **PRIVATE)
        really_delete.click(delete_chat, chat_id, [chatbot, chat_id, chats, confirm_delete], **PRIVATE)

        # --- search ---
        search.click(ui.search, query, results, api_name="search")
        query.submit(ui.search, query, results, **PRIVATE)

        # --- library: its own queue, so questions are answered while a rebuild runs ---
        def pick(words: str, event: gr.SelectData):
            article_id, text = ui.pick_article(words, event.index[0])
            return article_id, text, gr.update(interactive=bool(article_id)), gr.update(visible=False), \
                gr.update(visible=False)

        def confirm_removal(article_id: str):
            return gr.update(visible=not article_id), gr.update(visible=bool(article_id)), \
                gr.update(visible=bool(article_id))

        def removed(article_id: str):
            report_text, status_text, rows = ui.remove(article_id)
            return (report_text, status_text, rows, "", "Select an article in the table to remove it.",
                    gr.update(visible=True, interactive=False), gr.update(visible=False), gr.update(visible=False))

        table.select(pick, table_filter, [picked_id, picked, remove, confirm, cancel], **PRIVATE)
        remove.click(confirm_removal, picked_id, [remove, confirm, cancel], queue=False, **PRIVATE)
        cancel.click(lambda: (gr.update(visible=True), gr.update(visible=False), gr.update(visible=False)), None,
                     [remove, confirm, cancel], queue=False, **PRIVATE)
        confirm.click(removed, picked_id, [report, status, table, picked_id, picked, remove, confirm, cancel],
                      concurrency_id="library", **PRIVATE).then(ui.library.status, None, details, **PRIVATE)
        add.click(lambda files, progress=gr.Progress(track_tqdm=True): ui.add(files), uploads,
                  [report, status, table], api_name="add_articles", concurrency_id="library").then(
            ui.library.status, None, details, **PRIVATE)
        rebuild.click(lambda progress=gr.Progress(track_tqdm=True): ui.rebuild(), None, [report, status, table],
                      api_name="rebuild", concurrency_id="library").then(ui.library.status, None, details,
                                                                           **PRIVATE)

        def remove_article(article_id: str) -> tuple[str, str, list[list]]:
            return ui.remove(article_id)

        gr.api(remove_article, api_name="remove_article", concurrency_id="library")  # for scripts: by id
        table_filter.change(ui.table, table_filter, table, **PRIVATE)
        seen_change = gr.State("")
        gr.Timer(5).tick(ui.library_status, [seen_change, table_filter], [status, table, seen_change], queue=False,
                         **PRIVATE)
    return app


def _slider(settings: Settings, name: str) -> gr.Slider:
    """A setting's slider at its current value, on its declared scale, with its declared label and help."""
    spec = SPECS[name]
    assert spec.scale, f"setting {name!r} declares no scale for a slider"
    low, high, step = spec.scale
    return gr.Slider(low, high, value=getattr(settings, name), step=step, label=spec.label, info=spec.plain_help)
