"""Text helpers, the first stage: languages and accents (``language``), sentences, numbers, token counts,
cleaning of article text, citation markers, the facts a text states (``facts``: names, figures, dates) and the
instructions to a model hidden in it (``instructions``). Imports nothing of ``qa`` but ``qa.settings``."""
