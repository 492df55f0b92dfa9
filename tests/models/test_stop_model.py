"""Stop with the real llama.cpp model: a stop ends the reading of a long prompt (not only the writing), and the
model then answers the next prompt as if the stopped one had never begun."""

from __future__ import annotations

import threading
import time

import pytest
from langchain_core.messages import HumanMessage

from qa.models.bundled import assemble
from qa.models.llm import LocalChatModel
from qa.settings import get_settings
from qa.models.stop import StopSignal, Stopped, stoppable
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    path = assemble("qwen2.5-0.5b", get_settings().cache_dir)
    return LocalChatModel(model_path=str(path), slot="stop-test", max_tokens=12)


def long_prompt() -> list:
    text = (ROOT / "data" / "samples" / "otan-guerre-nucleaire-fr.txt").read_text(encoding="utf-8")
    return [HumanMessage(content="Résume cet article en une phrase.\n\n" + text * 3)]


def test_a_stop_ends_the_reading_of_a_long_prompt_and_the_next_prompt_is_read_afresh(model):
    prompt = long_prompt()
    assert model.count_tokens(prompt[0].content) > 2000  # seconds of reading on 2 cores: the stop lands inside it
    signal, stopped_at = StopSignal(), []

    def stop_soon():
        time.sleep(1.0)
        stopped_at.append(time.perf_counter())
        signal.stop()

    threading.Thread(target=stop_soon).start()
    with pytest.raises(Stopped) as raised, stoppable(signal):
        model.invoke(prompt)
    ended = time.perf_counter()
    assert raised.value.written == ""  # stopped while reading: nothing written
    assert ended - stopped_at[0] < 2.0, f"the stop took {ended - stopped_at[0]:.2f} s"

    short = [HumanMessage(content="Réponds par un seul mot : quelle est la capitale de la France ?")]
    after_stop = model.invoke(short).content
    model.load().reset()
    assert after_stop == model.invoke(short).content  # the aborted prompt left nothing behind in the cache
