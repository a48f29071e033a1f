"""What the diff's tests share (tests/test_diff.py, test_diff_substance.py): the fixture history (three
versions derived from the seed; see tests/fixtures/history) and a version of it by day.

A test module imports the fixture by name, ``from tests.diff_support import history as history``: pytest
then finds it there, and loads the history once for each test module."""

import pytest

from assistant import Corpus
from tests.conftest import SEED_DOCUMENT
from tests.fixtures import HISTORY


@pytest.fixture(scope="module")
def history() -> Corpus:
    return Corpus.load(HISTORY)


def version(history: Corpus, day: str):
    return history.get(SEED_DOCUMENT, day)
