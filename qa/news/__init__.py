"""The newsroom desk: story timelines (``timeline``), who said what (``quotes``), the check of a draft
against the archive (``claims``, ``factcheck``) and the brief on a subject (``briefing``). May import
``qa.answers`` and below."""
