"""Where an empty chat starts: what the archive holds (articles, languages, dates, sources) and a few example
questions made from stored articles (their titles, newest first, one per story, the languages mixed), which
ask themselves when clicked."""

from __future__ import annotations

from qa.models.prompts import LANGUAGE_NAMES

# the question made of a title, in the title's language (other languages: English)
ASKING = {"fr": "Que disent les articles sur « {title} » ?", "en": "What do the articles say about “{title}”?"}
TITLE_CHARS = 70


def overview(articles: list) -> dict:
    """What the archive holds: ``articles``, ``languages`` [(name, count)], ``first`` and ``last`` dates,
    ``sources`` (how many)."""
    counts: dict[str, int] = {}
    for a in articles:
        counts[a.lang or "?"] = counts.get(a.lang or "?", 0) + 1
    dates = sorted(a.date for a in articles if a.date)
    languages = [(LANGUAGE_NAMES.get(code, code), n) for code, n in sorted(counts.items(), key=lambda x: -x[1])]
    return {"articles": len(articles), "languages": languages, "first": dates[0] if dates else None,
            "last": dates[-1] if dates else None, "sources": len({a.source for a in articles if a.source})}


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    title = " ".join(title.split()).rstrip(" .")
    return title if len(title) <= limit else title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def example_questions(articles: list, n: int = 4) -> list[str]:
    """``n`` questions about stored articles: newest first (``articles`` is in the store's order), one per
    story, taking each language in turn so that a bilingual archive shows both."""
    by_language: dict[str, list] = {}
    stories = set()
    for a in articles:
        if a.story in stories or not a.title.strip():
            continue
        stories.add(a.story)
        by_language.setdefault(a.lang or "", []).append(a)
    chosen, queues = [], list(by_language.values())
    while len(chosen) < n and any(queues):
        for q in queues:
            if q and len(chosen) < n:
                chosen.append(q.pop(0))
    return [ASKING.get(a.lang or "", ASKING["en"]).format(title=short_title(a.title)) for a in chosen]


def render_overview(info: dict) -> str:
    """The empty chat's head: what the archive holds, and what the assistant does."""
    from qa.ui.render import esc

    if not info["articles"]:
        return ('<div class="nd-chat-empty"><h3>Ask the archive</h3><p>No articles yet: add some in the '
                "“Add articles” tab, then ask about them here.</p></div>")
    languages = ", ".join(f"{esc(name)} ({n})" for name, n in info["languages"])
    facts = [f'<b class="nd-overview-articles">{info["articles"]}</b> articles', languages]
    if info["first"]:
        facts.append(f'<span class="nd-nowrap">{esc(info["first"])}</span> → '
                     f'<span class="nd-nowrap">{esc(info["last"])}</span>')
    if info["sources"]:
        facts.append(f'{info["sources"]} source{"s" if info["sources"] != 1 else ""}')
    return ('<div class="nd-chat-empty"><h3>Ask the archive</h3>'
            f'<p class="nd-overview">{" · ".join(facts)}</p>'
            "<p>Answers come only from the stored articles, each claim with a numbered citation; follow-up "
            "questions keep the conversation. For example:</p></div>")
