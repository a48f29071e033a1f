"""The ``privacy-assistant`` command line. Errors print as one line and exit with status 2.

One module per group of commands; each imports what is heavy (the model, ``evals``, ``slack_app``)
inside the command, so `requests ...` starts without the model.
"""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from assistant.cli import asking, corpus, evals, outbox, requests, slack, team
from assistant.exceptions import PrivacyAssistantError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="privacy-assistant")
def cli() -> None:
    """Answer questions about a privacy policy, with citations, and take privacy-rights requests."""


for command in (
    asking.index,
    asking.ask,
    asking.chat,
    asking.serve,
    asking.gaps,
    corpus.corpus_group,
    corpus.diff_command,
    corpus.lint_command,
    requests.requests_group,
    team.team_group,
    outbox.worker,
    outbox.outbox_group,
    evals.eval_group,
    evals.train,
    slack.slack_group,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except PrivacyAssistantError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:  # a PRIVACY_ASSISTANT_* variable the settings refuse
        if exc.title != "Settings":
            raise
        problem = exc.errors()[0]
        name = "PRIVACY_ASSISTANT_" + "_".join(str(part) for part in problem["loc"]).upper()
        click.echo(f"error: {name}: {problem['msg']}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
