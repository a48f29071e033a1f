"""``--target``: the same harness through a running server's HTTP API gives the in-process numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.settings import PROJECT_ROOT, get_settings
from evals.datasets_io import read_jsonl
from evals.history import HISTORY_DATASET, HistorySuite
from evals.intake import DEFAULT_DATASET as INTAKE_TEST
from evals.intake import IntakeSuite
from evals.qa import DEFAULT_DATASET as QA_TEST
from evals.qa import QASuite
from evals.runner import run_suites
from evals.targets import INTAKE_FIELDS, InProcessTarget, Targets
from tests.conftest import free_port, serving

pytestmark = pytest.mark.slow  # each test starts processes or servers, or drives them hard

HISTORY_CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "history"


@pytest.fixture(scope="module")
def history_server(tmp_path_factory: pytest.TempPathFactory):
    """``privacy-assistant serve`` over the history fixture corpus, with its own data folder."""
    port = free_port()
    folder = tmp_path_factory.mktemp("history-server")
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_CORPUS_DIR": str(HISTORY_CORPUS),
        "PRIVACY_ASSISTANT_DATA_DIR": str(folder / "data"),
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_RATE_LIMIT": "600",
    }
    url = f"http://127.0.0.1:{port}"
    with serving(env, folder / "server.log", url):
        yield url


def quality(report: dict) -> dict[str, float]:
    return {
        f"{run['suite']}/{run['split']}/{name}": value
        for run in report["runs"]
        for name, value in run["metrics"].items()
        if not name.startswith("latency")
    }


def every_third(dataset: Path, folder: Path) -> Path:
    """A third of ``dataset`` (answerable and not, every right): the two targets are compared line by
    line, so a sample shows any difference the whole set would, in a third of the time."""
    sample = folder / dataset.name
    lines = dataset.read_text(encoding="utf-8").splitlines()
    sample.write_text("\n".join(lines[::3]) + "\n", encoding="utf-8")
    return sample


def test_http_target_gives_the_in_process_numbers(
    assistant: Assistant, data_dir: Path, live_server, history_server, tmp_path: Path
):
    qa, intake = every_third(QA_TEST, tmp_path), every_third(INTAKE_TEST, tmp_path)
    suites = [QASuite(dataset=qa), HistorySuite(), IntakeSuite(dataset=intake)]
    settings = get_settings().model_copy(update={"data_dir": data_dir})
    local = run_suites(suites, Targets(default=InProcessTarget(assistant), settings=settings))
    remote = run_suites(
        suites, Targets(url=live_server.api_origin, history_url=history_server, settings=settings)
    )

    local_numbers, remote_numbers = quality(local), quality(remote)
    # The chat API does not show who asks (e-mails, names, on whose behalf): scored in-process only.
    email_metrics = ("requester_email", "subject_email_as_requester")
    unobserved = {k for k in local_numbers if "/field_accuracy." in k or k.rsplit("/", 1)[1] in email_metrics}
    assert unobserved == {
        *(f"intake/test/field_accuracy.{f}" for f in INTAKE_FIELDS),
        *(f"intake/test/{m}" for m in email_metrics),
    }
    assert set(remote_numbers) == set(local_numbers) - unobserved
    for key, value in remote_numbers.items():
        assert value == local_numbers[key] or (math.isnan(value) and math.isnan(local_numbers[key])), key
    assert remote_numbers["qa/test/questions"] == len(read_jsonl(qa)) > 50
    assert remote_numbers["history/test/questions"] == len(read_jsonl(HISTORY_DATASET))
    # and the same questions failed, with the same answers and citations (intake: the same rights;
    # the fields after "; " are the in-process-only ones)
    for a, b in zip(local["runs"], remote["runs"], strict=True):
        cut = (lambda got: got.split("; ")[0]) if a["suite"] == "intake" else (lambda got: got)
        seen = [f for f in a["failures"] if cut(f["got"]) != cut(f["expected"]) or a["suite"] != "intake"]
        assert [(f["id"], cut(f["got"]), f["citations"]) for f in seen] == [
            (f["id"], f["got"], f["citations"]) for f in b["failures"]
        ]


def test_history_target_must_hold_the_fixture_versions(live_server):
    from assistant.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError, match="--history-target"):
        run_suites([HistorySuite()], Targets(url=live_server.api_origin))
