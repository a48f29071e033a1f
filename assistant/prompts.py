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

    def render(self, name: str, locale: str | None = None, **variables: Any) -> str:
        """The template ``prompts/<name>.txt`` filled in, line breaks kept (e-mails, multi-line replies);
        in ``locale``'s words (``prompts/<locale>/<name>.txt``) when that language has the template."""
        try:
            return self._template(name, locale).render(**variables).strip()
        except jinja2.TemplateNotFound:
            raise ConfigurationError(f"prompt template {self.folder / (name + '.txt')} is missing") from None
        except jinja2.UndefinedError as exc:
            raise ConfigurationError(f"prompt template {name}.txt: {exc.message}") from None

    def line(self, name: str, locale: str | None = None, **variables: Any) -> str:
        """The template filled in as one line of chat text."""
        return " ".join(self.render(name, locale, **variables).split())

    def locales(self) -> list[str]:
        """The languages with templates of their own, besides English (``prompts/<locale>/``)."""
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _template(self, name: str, locale: str | None) -> jinja2.Template:
        if locale and locale != "en":
            try:
                return self._env.get_template(f"{locale}/{name}.txt")
            except jinja2.TemplateNotFound:
                pass  # not translated: English
        return self._env.get_template(f"{name}.txt")


@lru_cache(maxsize=4)
def load_prompts(folder: Path) -> Prompts:
    return Prompts(folder)
