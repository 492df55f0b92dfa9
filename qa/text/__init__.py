"""Text helpers, the first stage: languages and accents (``language``), sentences, numbers, token counts,
cleaning of article text, citation markers, and the facts a text states (``facts``: names, figures, dates; the
instructions hidden in it). Imports nothing of ``qa`` but ``qa.settings``."""
