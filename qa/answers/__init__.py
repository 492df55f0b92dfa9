"""Answers: the prompt a model reads (``prompting``), the check of what it wrote against its evidence
(``checking``), refusals (``refusals``), what a question gets back (``results``: Answer, Source, Found), the answer
chain (``chain``), and the Markdown transcript of a conversation (``transcript``). May import ``qa.retrieval`` and
below."""
