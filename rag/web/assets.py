"""The page's own theme, CSS and script: its fonts, readable highlights in light and dark mode, answers' sources,
the library as cards on a phone, and the language switch."""
from __future__ import annotations

from rag.web.i18n import COOKIE, DEFAULT, LANGUAGES


def theme():
    """Gradio's default theme with fonts that ship with Gradio itself (SIL Open Font License, in the wheel's
    static/fonts): nothing is fetched at run time and nothing depends on the machine's fonts. Regular and Bold
    only: Gradio's SemiBold files hold a few letters, so text drawn semibold took its capitals from another
    font; semibold text now takes the bold face. Secondary text and the Ask button are a shade darker than
    Gradio's (grey-400 on white and white on orange-500 read at 2.5:1 and 2.8:1; these at 7:1 and 5:1)."""
    import gradio as gr

    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "monospace"],
    ).set(body_text_color_subdued="*neutral_600", button_primary_background_fill="*primary_700",
          button_primary_background_fill_hover="*primary_800", button_primary_background_fill_dark="*primary_700",
          button_primary_background_fill_hover_dark="*primary_800")


# Highlight colours are chosen with their text colour, never left to the theme: white text on bright yellow
# (Gradio's dark text colour on <mark>) is unreadable. Both pairs have a contrast ratio above 10:1.
# No emoji: a machine without an emoji font draws an empty box. States turn a CSS spinner instead.
CSS = """
mark { background: #fde68a; color: #1c1917; padding: 0 2px; border-radius: 2px; }
.dark mark { background: #facc15; color: #111827; }
#header { align-items: center; gap: 8px; flex-wrap: wrap; }
#header h1 { font-size: 1.35em; margin: 0; }
#header p { margin: 0; color: var(--body-text-color-subdued); }
#language { flex-grow: 0 !important; min-width: 220px !important; }
#language .wrap { justify-content: flex-end; }
.state { color: var(--body-text-color-subdued); font-style: italic; margin: 0; }
.state::before, #activity p::before {
  content: ""; display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.45em; vertical-align: -0.1em;
  border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%;
  animation: spin 0.9s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
.problem { margin: 0; padding-left: 1.7em; position: relative; }
.problem::before {
  content: "!"; position: absolute; left: 0; top: 0.05em; width: 1.25em; height: 1.25em; border-radius: 50%;
  background: var(--color-red-500, #dc2626); color: #fff; font-weight: 700; text-align: center; line-height: 1.25em; }
.reason { color: var(--body-text-color-subdued); }
.draft { color: var(--body-text-color-subdued); border-left: 3px dashed var(--border-color-primary);
         padding-left: 8px; }
.as-of { font-size: 0.9em; color: var(--body-text-color-subdued); margin: 0 0 4px; }
#activity p { margin: 0; color: var(--body-text-color-subdued); font-size: 0.9em; }
#first-run { border: 1px dashed var(--border-color-primary); border-radius: 8px; padding: 12px 16px; }
details.sources { margin-top: 8px; border-top: 1px solid var(--border-color-primary); padding-top: 4px; }
details.sources > summary { cursor: pointer; font-weight: 700; }
.article { margin: 8px 0 12px; }
.hits .article { border-bottom: 1px solid var(--border-color-primary); padding-bottom: 8px; }
.article-head { margin: 4px 0; }
.article-head .file { font-family: var(--font-mono); font-size: 0.85em; }
.passage { margin: 4px 0; padding: 4px 8px; border-left: 3px solid var(--border-color-primary); }
.passage .num { font-weight: 700; }
.passage.flash { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: var(--color-accent-soft); } to { background: transparent; } }
.scores { font-family: var(--font-mono); font-size: 0.8em; color: var(--body-text-color-subdued); margin: 4px 8px; }
details.full { margin: 4px 0 0 8px; font-size: 0.9em; }
details.full > summary { cursor: pointer; color: var(--link-text-color); }
.fulltext { max-height: 24em; overflow-y: auto; padding: 4px 8px; }
#question-hint p { color: var(--color-red-500, #dc2626); margin: 0; }
#status p { margin: 0; }
#scope p { margin: 0; font-size: 0.95em; }
#scope-row { align-items: center; }
a.ask { margin: 0 8px; font-size: 0.9em; white-space: nowrap; }
.point-head { margin: 2px 0 4px; }
#pick-id, #index-key, #ask-article { display: none !important; }
/* An event with show_progress="hidden" (the page's polling) still drew its running time: hidden means hidden. */
div[data-testid="status-tracker"].hidden { display: none !important; }
#articles table.library { width: 100%; border-collapse: collapse; font-size: 0.95em; border: 0 !important; }
#articles table.library th, #articles table.library td { border-left: 0 !important; border-right: 0 !important;
                                                        border-top: 0 !important; }
table.library th { text-align: left; font-weight: 700; border: 0;
                   border-bottom: 2px solid var(--border-color-primary); }
table.library th, table.library td { padding: 6px 8px; vertical-align: top; background: none; }
table.library td { border: 0; border-bottom: 1px solid var(--border-color-primary); overflow-wrap: anywhere; }
table.library td.title { width: 38%; font-weight: 700; }
table.library td.sources { font-family: var(--font-mono); font-size: 0.85em; }
table.library td.actions { text-align: right; white-space: nowrap; }
button.remove { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 10px; font-weight: 400;
                background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); }
button.remove:hover { border-color: var(--color-red-500, #dc2626); color: var(--color-red-500, #dc2626); }
#chat .placeholder-content { padding: 8px 16px; }  /* the empty chat's welcome text off the box's edges */
/* Phone width: the chat takes the screen (tab labels are short enough for all four to show at 390 px), and each
   article of the library is a card: its title, then its other columns as labelled lines. */
@media (max-width: 640px) {
  #chat { height: max(320px, calc(100dvh - 330px)) !important; }  /* the question box stays on screen under it */
  .tab-container button { padding-left: 8px; padding-right: 8px; }
  #header { padding-left: 34px; }  /* beside the chat list's toggle */
  #language { min-width: 100% !important; }
  /* Gradio's "scroll to the end" button sits in the middle of the chat's foot, over a source's file name */
  #chat .scroll-down-button-container { left: auto; right: 8px; transform: none; }
  #language .wrap { justify-content: flex-start; }
  table.library thead { display: none; }
  table.library, table.library tbody, table.library tr, table.library td { display: block; width: auto; }
  table.library tr { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0 0 10px;
                     padding: 8px 10px; }
  table.library td { border: 0; padding: 2px 0; }
  table.library td.title { width: auto; font-size: 1.05em; }
  table.library td:not(.title):not(.actions)::before { content: attr(data-label) ": ";
                                                       color: var(--body-text-color-subdued); }
  table.library td.actions { text-align: left; padding-top: 6px; }
}
"""

# The interface's language: on each page load the cookie's, else the browser's; the cookie (which the server
# reads) set; then Gradio's own locale (its labels, and ours through gr.I18n), awaited before the page asks the
# server for anything; the value the switch shows. Gradio's locale store comes from its core module, which exports
# it for its own settings panel; without it the labels stay in the browser's language. A switch sets the cookie and
# reloads the page: Gradio translates a label again only if no event has changed its component since the load.
_CHOOSE = f"""(wanted) => {{
  const known = {list(LANGUAGES)!r};
  const saved = (document.cookie.match(/(?:^|; ){COOKIE}=([a-z]+)/) || [])[1];
  const browser = (navigator.languages || [navigator.language]).map(l => (l || '').slice(0, 2).toLowerCase());
  const language = [wanted, saved, ...browser].find(l => known.includes(l)) || '{DEFAULT}';
  document.cookie = '{COOKIE}=' + language + '; path=/; max-age=31536000; samesite=lax';
  return language;
}}"""
LOAD_LANGUAGE = f"""async () => {{
  const language = ({_CHOOSE})(null);
  document.documentElement.lang = language;
  const core = performance.getEntriesByType('resource').map(e => e.name)
    .find(n => /\\/assets\\/core-[^/]*\\.js$/.test(n));
  try {{ if (core) await (await import(core)).changeLocale(language); }} catch (error) {{ console.info(error); }}
  return language;
}}"""
SWITCH_LANGUAGE = f"(wanted) => {{ ({_CHOOSE})(wanted); window.location.reload(); return wanted; }}"

# A click on an answer's [n] opens that answer's sources and shows the passage (it may be in an older answer).
# A library row's Remove… button hands its article id to the hidden #pick-id box ("id|time": each click is new).
# An "Ask about this article" link (a source card, a library row) hands its article id to the hidden #ask-article
# box the same way, and brings the chat to the front.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const ask = event.target.closest('a[href^="#ask="]');
    if (ask) {
      event.preventDefault();
      const box = document.querySelector('#ask-article textarea, #ask-article input');
      box.value = decodeURIComponent(ask.getAttribute('href').slice(5)) + '|' + Date.now();
      box.dispatchEvent(new Event('input', {bubbles: true}));
      const tab = document.querySelector('#tab-chat-button');
      if (tab) tab.click();
      document.querySelector('#question textarea')?.focus();
      return;
    }
    const remove = event.target.closest('button[data-article]');
    if (remove) {
      const box = document.querySelector('#pick-id textarea, #pick-id input');
      box.value = remove.dataset.article + '|' + Date.now();
      box.dispatchEvent(new Event('input', {bubbles: true}));
      return;
    }
    const link = event.target.closest('a[href^="#ans-"]');
    if (!link) return;
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    event.preventDefault();
    for (let node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') node.open = true;
    }
    // a passage can be taller than a phone's screen: the marked sentence is what the [n] points at; and the
    // chat scrolls itself to its end when a message grows (the sources just opened), so scroll once that is done
    const spot = target.querySelector('mark') || target;
    spot.scrollIntoView({behavior: 'smooth', block: 'center'});
    setTimeout(() => spot.scrollIntoView({behavior: 'smooth', block: 'center'}), 400);
    target.classList.remove('flash'); void target.offsetWidth; target.classList.add('flash');
  });
  // On a phone the chat list would cover the chat: it starts closed there, and closes once a chat is picked.
  const narrow = () => window.innerWidth < 700;
  const closeSidebar = () => {
    const sidebar = document.querySelector('#sidebar.open');
    if (sidebar) sidebar.querySelector('.toggle-button').click();
  };
  const start = Date.now();
  const closeWhenReady = () => {
    if (!narrow()) return;
    if (document.querySelector('#sidebar')) closeSidebar();
    else if (Date.now() - start < 10000) setTimeout(closeWhenReady, 100);
  };
  closeWhenReady();
  document.addEventListener('change', (event) => {
    if (narrow() && event.target.closest('#chats')) setTimeout(closeSidebar, 300);
  });
  document.addEventListener('click', (event) => {
    if (narrow() && event.target.closest('#new-chat')) setTimeout(closeSidebar, 300);
  });
}
"""
