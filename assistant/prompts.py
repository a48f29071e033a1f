"""Templates for every sentence the assistant says that is not a quote (the files in ``prompts/``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from assistant.exceptions import ConfigurationError


class Prompts:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ConfigurationError(
                f"prompts folder {folder} does not exist; set PRIVACY_ASSISTANT_PROMPTS_DIR"
            )
        self.folder = folder
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # replies are plain text; every channel escapes for its own markup
            keep_trailing_newline=False,
        )

    def render(self, name: str, **variables: Any) -> str:
        """The template ``prompts/<name>.txt`` filled in, line breaks kept (e-mails, multi-line replies)."""
        try:
            return self._env.get_template(f"{name}.txt").render(**variables).strip()
        except jinja2.TemplateNotFound:
            raise ConfigurationError(f"prompt template {self.folder / (name + '.txt')} is missing") from None
        except jinja2.UndefinedError as exc:
            raise ConfigurationError(f"prompt template {name}.txt: {exc.message}") from None

    def line(self, name: str, **variables: Any) -> str:
        """The template filled in as one line of chat text."""
        return " ".join(self.render(name, **variables).split())


@lru_cache(maxsize=4)
def load_prompts(folder: Path) -> Prompts:
    return Prompts(folder)
