"""The policy as people read it: ``GET /policy/{document}/{version}`` (every citation lands on its quote)
and ``GET /api/policy`` (documents and versions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.corpus.units import Block, parse_policy
from assistant.web.deps import AssistantDep, SettingsDep
from assistant.web.schemas import ErrorOut, PolicyDocumentOut, PolicyListOut, PolicyVersionOut

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
    responses={404: {"model": ErrorOut}},
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


@router.get("/api/policy", response_model=PolicyListOut)
def policy_list(assistant: AssistantDep, settings: SettingsDep) -> PolicyListOut:
    """Every policy document and its versions, oldest first, with the page of each."""
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
            )
        )
    return PolicyListOut(documents=documents)
