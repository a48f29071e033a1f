"""The policy as people read it: ``GET /policy/{document}/{version}`` (every citation lands on its quote),
``GET /policy/{document}/diff/{old}/{new}`` (what changed) and ``GET /api/policy`` (documents, versions
and the diffs between consecutive versions)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.corpus.diff_render import render_diff_html
from assistant.corpus.units import Block, parse_policy
from assistant.web.deps import AssistantDep, SettingsDep
from assistant.web.schemas import (
    PolicyDiffOut,
    PolicyDocumentOut,
    PolicyListOut,
    PolicyVersionOut,
    json_error,
)

router = APIRouter(tags=["policy"])


@dataclass
class PageGroup:
    """Consecutive blocks that render as one element: a heading, a paragraph, a list or a table."""

    kind: Literal["heading", "paragraph", "list", "table"]
    blocks: list[Block] = field(default_factory=list)

    @property
    def first(self) -> Block:
        return self.blocks[0]


def page_groups(blocks: list[Block]) -> list[PageGroup]:
    groups: list[PageGroup] = []
    for block in blocks:
        kind = {"list_item": "list", "table_header": "table", "table_row": "table"}.get(
            block.kind, block.kind
        )
        joins = (
            groups and groups[-1].kind == kind and kind in ("list", "table") and block.kind != "table_header"
        )
        if joins:
            groups[-1].blocks.append(block)
        else:
            groups.append(PageGroup(kind, [block]))  # type: ignore[arg-type]
    return groups


@router.get(
    "/policy/{document}/{version}",
    response_class=HTMLResponse,
    responses={404: json_error("No such document or version.")},
)
def policy_page(request: Request, document: str, version: str, assistant: AssistantDep) -> HTMLResponse:
    """One version of a policy document; each quotable unit is an element whose id is its anchor."""
    policy = assistant.corpus.get(document, version)
    parsed = parse_policy(policy)
    return request.app.state.templates.TemplateResponse(
        request,
        "policy.html",
        {
            "policy": policy,
            "groups": page_groups(parsed.blocks),
            "versions": assistant.versions(document),
        },
    )


_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _diff_csp(page: str) -> str:
    """The diff page is self-contained: its one style block, allowed by its hash; no script at all."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in _STYLE.findall(page)
    )
    styles = hashes or "'none'"
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self'; script-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


@router.get(
    "/policy/{document}/diff/{old}/{new}",
    response_class=HTMLResponse,
    responses={404: json_error("No such document or version.")},
)
def policy_diff_page(document: str, old: str, new: str, assistant: AssistantDep) -> HTMLResponse:
    """What changed in ``document`` from version ``old`` to version ``new``, word by word."""
    older, newer = assistant.corpus.get(document, old), assistant.corpus.get(document, new)
    page = render_diff_html(assistant.diff(document, old, new), document, older.version, newer.version)
    return HTMLResponse(page, headers={"Content-Security-Policy": _diff_csp(page)})


@router.get("/api/policy", response_model=PolicyListOut)
def policy_list(assistant: AssistantDep, settings: SettingsDep) -> PolicyListOut:
    """Every policy document and its versions, oldest first, with the page of each and the page of what
    changed between each version and the next."""
    base = settings.public_base_url.rstrip("/")
    documents = []
    for document in assistant.corpus.documents:
        versions = assistant.versions(document)
        documents.append(
            PolicyDocumentOut(
                document=document,
                title=versions[-1].title,
                organization=versions[-1].organization,
                versions=[
                    PolicyVersionOut(
                        version=v.version,
                        title=v.title,
                        effective=v.effective.isoformat(),
                        digest=v.digest,
                        url=f"{base}/policy/{document}/{v.version}",
                    )
                    for v in versions
                ],
                diffs=[
                    PolicyDiffOut(
                        old=a.version,
                        new=b.version,
                        url=f"{base}/policy/{document}/diff/{a.version}/{b.version}",
                    )
                    for a, b in pairwise(versions)
                ],
            )
        )
    return PolicyListOut(documents=documents)
