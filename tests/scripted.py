"""A scripted chat model: what it says is a function of the prompt, so wiring tests need no LLM and no CPU.

>>> model = Scripted(script=lambda prompt, n: "Lyon a voté.")     # any task
>>> model = Scripted(script=answering(['{"sentences": [3], "answer": "14 millions"}'], verdict="yes"))

A reply ``P(yes)=0.8`` is a yes/no with its probability (as an endpoint's log-probabilities give it).
Every call is recorded: ``model.prompts`` holds ``(messages, kwargs)``, ``model.calls`` the last message's text.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

NOT_FOUND = '{"sentences": [], "answer": "NOT_FOUND"}'
TRANSLATION = "Quel budget le conseil municipal de Villebourg a-t-il adopté ?"


class Scripted(BaseChatModel):
    """Replies ``script(last_message, call_number)``; streams the reply 4 characters at a time. With
    ``token_delay`` (seconds), a reply is also written piece by piece through the callbacks, as the local model
    writes its tokens (what the Stop button interrupts); ``pieces`` counts the pieces written."""

    script: Callable[[str, int], str]
    prompts: list = []
    calls: list[str] = []
    token_delay: float | None = None
    pieces: int = 0

    def __init__(self, **data):
        super().__init__(**{"prompts": [], "calls": [], **data})

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def formats(self) -> list:
        """The ``response_format`` of each call (None when it had none)."""
        return [kwargs.get("response_format") for _, kwargs in self.prompts]

    def _reply(self, messages, kwargs) -> str:
        self.prompts.append((messages, kwargs))
        last = str(messages[-1].content)
        self.calls.append(last)
        return self.script(last, len(self.prompts))

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        text = self._reply(messages, kwargs)
        graded = re.fullmatch(r"P\(yes\)=([0-9.]+)", text)  # a yes/no with its probability, as an endpoint's logprobs
        if graded:
            yes = float(graded.group(1))
            top = [{"token": "yes", "logprob": math.log(max(yes, 1e-9))},
                   {"token": "no", "logprob": math.log(max(1 - yes, 1e-9))}]
            message = AIMessage(content="yes" if yes >= 0.5 else "no",
                                response_metadata={"logprobs": {"content": [{"top_logprobs": top}]}})
            return ChatResult(generations=[ChatGeneration(message=message)])
        if self.token_delay is not None and run_manager is not None:
            for i in range(0, len(text), 4):
                time.sleep(self.token_delay)
                run_manager.on_llm_new_token(text[i:i + 4])  # the Stop button's callback raises here
                self.pieces += 1
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        text = self._reply(messages, kwargs)
        for i in range(0, len(text), 4):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[i:i + 4]))


def answering(answers: list[str], verdict: str | list[str] = "yes", translation: str = TRANSLATION,
              judge: str | Callable[[str], str] = "yes") -> Callable[[str, int], str]:
    """A script for the answer pipeline: the query translation, the judge's yes/no for each passage (``judge``,
    or a function of the prompt), the JSON answers in turn (then NOT_FOUND), and the yes/no verification
    (``verdict``, or a list of verdicts in turn)."""
    answers, verdicts = list(answers), verdict

    def script(last: str, _n: int) -> str:
        if last.startswith("Translate"):
            return translation
        if "Does this passage answer the question?" in last:
            return judge(last) if callable(judge) else judge
        if "Does this sentence answer the question?" in last:
            return verdicts if isinstance(verdicts, str) else verdicts.pop(0)
        return answers.pop(0) if answers else NOT_FOUND

    return script
