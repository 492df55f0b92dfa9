"""Answers: the prompt a model reads (``prompting``), the check of what it wrote against its evidence
(``checking``), refusals, the answer chain (``chain``), and the Markdown transcript of a conversation
(``transcript``). May import ``qa.retrieval`` and below."""
