"""The page's own CSS and script: readable highlights in light and dark mode, answers' sources, phone width."""

# Highlight colours are chosen with their text colour, never left to the theme: white text on bright yellow
# (Gradio's dark text colour on <mark>) is unreadable. Both pairs have a contrast ratio above 10:1.
CSS = """
mark { background: #fde68a; color: #1c1917; padding: 0 2px; border-radius: 2px; }
.dark mark { background: #facc15; color: #111827; }
.state { color: var(--body-text-color-subdued); font-style: italic; margin: 0; }
.state::before { content: "⏳ "; font-style: normal; }
.draft { color: var(--body-text-color-subdued); border-left: 3px dashed var(--border-color-primary);
         padding-left: 8px; }
.as-of { font-size: 0.9em; color: var(--body-text-color-subdued); margin: 0 0 4px; }
details.sources { margin-top: 8px; border-top: 1px solid var(--border-color-primary); padding-top: 4px; }
details.sources > summary { cursor: pointer; font-weight: 600; }
.article { margin: 8px 0 12px; }
.article-head { margin: 4px 0; }
.article-head .file { font-family: var(--font-mono); font-size: 0.85em; }
.passage { margin: 4px 0; padding: 4px 8px; border-left: 3px solid var(--border-color-primary); }
.passage .num { font-weight: 600; }
.passage.flash { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: var(--color-accent-soft); } to { background: transparent; } }
details.full, details.tech { margin: 4px 0 0 8px; font-size: 0.9em; }
details.full > summary, details.tech > summary { cursor: pointer; color: var(--link-text-color); }
.fulltext { max-height: 24em; overflow-y: auto; padding: 4px 8px; }
#question-hint p { color: var(--color-red-500, #dc2626); margin: 0; }
#status p { margin: 0; }
/* Phone width: the chat takes the screen (tab labels are short enough for all four to show at 390 px). */
@media (max-width: 640px) {
  #chat { height: 72vh !important; }
  .tab-container button { padding-left: 8px; padding-right: 8px; }
}
"""

# A click on an answer's [n] opens that answer's sources and shows the passage (it may be in an older answer).
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#ans-"]');
    if (!link) return;
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    event.preventDefault();
    for (let node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') node.open = true;
    }
    target.scrollIntoView({behavior: 'smooth', block: 'center'});
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
