"""Model access: the bundled models (``bundled``), the chat model over llama.cpp or a hosted endpoint
(``llm``), the embedder (``embeddings``), the prompt files (``prompts``) and the Stop of a running call (``stop``).
May import ``qa.text`` and ``qa.settings`` only."""
