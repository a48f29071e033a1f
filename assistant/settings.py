"""Every knob of the assistant, read from ``PRIVACY_ASSISTANT_*`` environment variables.

The defaults are the embedded set-up: Chroma on disk, SQLite, an e-mail outbox, all under ``.data/``
in the project folder. Each field is documented in the README's configuration table.
"""

from __future__ import annotations

import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_LLM = re.compile(r"openai:https?://[^#\s]+#\S+|ollama:\S+")

# Set before chromadb, transformers or huggingface_hub are imported anywhere: nothing phones home and
# nothing is fetched from a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# numpy's BLAS threads spin after each product and take a core from the model's forward pass on two
# cores (bench/ask_latency.py: ask p50 35 -> 29 ms, query embedding 21 -> 14 ms). The model has its own
# thread pool. Read when numpy loads, so assistant/__init__.py imports this module first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRIVACY_ASSISTANT_", extra="ignore")

    # Where things live.
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Policy documents and their versions.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Every sentence that is not a quote.")
    data_dir: Path = Field(PROJECT_ROOT / ".data", description="Chroma, SQLite, outbox, keys.")
    cache_dir: Path = Field(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "privacy-assistant",
        description="Derived vectors keyed by content digest, shared by every data folder on the machine.",
    )

    # Past one machine.
    chroma_url: str | None = Field(None, description="Chroma server, e.g. http://chroma:8000; else on disk.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir.")
    smtp_url: str | None = Field(None, description="smtp://user:pass@host:port; default the outbox.")

    # How citations link to the rendered policy.
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of citation links.")
    default_document: str | None = Field(None, description="Document asked when none is named.")

    # Retrieval and answering.
    embedding_device: str = Field("cpu", description="Torch device for the embedding model.")
    retrieval_candidates: int = Field(
        20, ge=1, le=200, description="Units each retriever returns before fusion."
    )
    max_citations: int = Field(3, ge=1, le=10, description="At most this many quotes in one answer.")
    answer_threshold: float = Field(
        0.0,
        ge=-1,
        le=1,
        description="Answer when the answer model's margin (its best unit's score above \"the policy does "
        'not answer this") is at least this. 0 is the operating point `train` fits; lower answers more, '
        "higher abstains more.",
    )
    # 0.3 until 2026-11-28: on 1,400 dev and calibration questions, 0.2 answers 9 more the policy answers
    # ("how do you decide which offers to push at me?") and 1 more it does not.
    min_privacy_probability: float = Field(
        0.2, ge=0, le=1, description="Least probability that the question is about privacy, to answer."
    )
    max_unanswerable_probability: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Abstain when the question bank's neighbours make it this likely the policy does not answer.",
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused.")
    # The optional LLM writer of the lead line (assistant/answering/writer.py, README "The lead line").
    llm: str | None = Field(
        None,
        description="openai:<base URL>#<model> (an OpenAI-compatible endpoint) or ollama:<model>: writes "
        "the lead line, shown when the quotes support it; unset: the lead is a verbatim span.",
    )
    llm_api_key: str | None = Field(
        None, description="The OpenAI-compatible endpoint's API key, if it needs one."
    )
    llm_base_url: str = Field("http://127.0.0.1:11434", description="Where Ollama serves (ollama: models).")
    llm_timeout: float = Field(
        2.0, gt=0, le=60, description="Seconds the writer may take; slower, the extractive lead is shown."
    )

    @field_validator("llm")
    @classmethod
    def _llm_endpoint(cls, value: str | None) -> str | None:
        if value and not _LLM.fullmatch(value.strip()):
            raise ValueError(
                f"{value!r} is not 'openai:<base URL>#<model>' (e.g. openai:http://127.0.0.1:8080/v1#llama3) "
                "or 'ollama:<model>' (e.g. ollama:llama3.1)"
            )
        return value.strip() if value else value

    # The service.
    host: str = "127.0.0.1"
    port: int = 8000

    # Rights requests: intake, the queue, verification, transcripts, the webhook sink.
    max_message_chars: int = Field(10_000, ge=100, description="Longer chat messages are refused.")
    encryption_key: str | None = Field(
        None, description="Fernet key for requester identity at rest; else read from encryption_key_file."
    )
    encryption_key_file: Path | None = Field(
        None,
        description="Where the key is kept (generated, mode 0600, if missing); default data_dir/encryption.key. "
        "Keep it out of the database's backups.",
    )
    # Retention (README "Retention"): assistant/requests/retention.py applies these periods.
    transcript_retention_days: int = Field(
        30, ge=0, description="Transcripts older, and conversations idle as long, are purged."
    )
    closed_request_retention_days: int = Field(
        1095,
        ge=0,
        description="A request closed (completed, rejected, withdrawn) this long loses its requester's "
        "identity; its reference, dates, status and audit trail stay.",
    )
    outbox_retention_days: int = Field(
        7, ge=0, description="Delivered outbox messages older are deleted; undelivered ones are kept."
    )
    feedback_retention_days: int = Field(
        180,
        ge=0,
        description="Votes on answers and the questions declined (redacted, for the knowledge-gaps "
        "report) older than this are deleted.",
    )
    # Deadlines (README "Deadlines by law"): assistant/requests/laws.py holds the table.
    jurisdiction: str = Field(
        "gdpr",
        pattern=r"^[a-z][a-z0-9_]{1,15}$",
        description="The law a request is answered under unless the team says otherwise (gdpr, uk_gdpr, "
        "ccpa, vcdpa, cpa, lgpd, or one from the jurisdictions file). A request asking only for US "
        "state rights goes under ccpa.",
    )
    jurisdictions_file: Path | None = Field(
        None, description="YAML adding or replacing jurisdictions (name, citation, answer_within, extension)."
    )
    # Fulfilment (README "Handing over the data"): assistant/requests/fulfilment.py.
    package_max_mb: int = Field(25, ge=1, le=512, description="The largest data package the team can attach.")
    package_link_hours: int = Field(
        72, ge=1, le=24 * 30, description="A requester's download link expires after this; it works once."
    )
    package_retention_days: int = Field(
        30, ge=1, description="A data package is emptied this long after it was attached."
    )
    verification_ttl_minutes: int = Field(60, ge=1, description="A verification code expires after this.")
    verification_max_attempts: int = Field(5, ge=1, description="Wrong codes before a code is locked.")
    verification_max_sends: int = Field(3, ge=1, description="Verification mails per request per hour.")
    unverified_close_days: int = Field(
        30,
        ge=0,
        description="A request still unverified this many days after its last code is closed as rejected "
        "by `requests close-unverified`; 0: never.",
    )
    mail_from: str = Field("privacy-assistant@localhost", description="Sender of verification mail.")
    webhook_url: str | None = Field(None, description="POST every request event here, HMAC-signed.")
    webhook_secret: str | None = Field(None, description="HMAC-SHA256 key signing webhook bodies.")

    # The outbox worker (assistant/requests/outbox.py): mail and webhook events leave after commit.
    outbox_worker: Literal["inprocess", "off"] = Field(
        "inprocess",
        description="inprocess: the web service (and each CLI command, before it exits) delivers the "
        "outbox itself; off: only `privacy-assistant worker` (or `requests deliver` from cron) does.",
    )
    outbox_poll_seconds: float = Field(
        5, gt=0, le=3600, description="How often the worker looks for due messages it was not woken for."
    )
    outbox_max_attempts: int = Field(
        12, ge=1, le=100, description="Failed deliveries before a message is given up (marked dead)."
    )
    smtp_timeout_seconds: float = Field(
        15, gt=0, le=600, description="Longest wait for the SMTP server at each step of sending one mail."
    )
    outbox_file_retention_hours: float = Field(
        24, gt=0, description="Encrypted mail files in data_dir/outbox (no SMTP_URL) are deleted after this."
    )

    # The web service's edge (assistant/web).
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Sites that may embed the widget: comma-separated origins."
    )
    widget_api_origin: str = Field(
        "", description="Origin the demo page's widget talks to; empty: the page's own origin."
    )
    rate_limit: int = Field(
        30, ge=0, description="Chat and ask calls one client may make per minute; 0 turns the limit off."
    )
    max_body_bytes: int = Field(
        65_536,
        ge=1024,
        description="Larger request bodies are refused (413); at least 6 bytes per character of the "
        "longest message or question, plus 1 KiB.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Load balancers (IPs or CIDRs, comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: none, every caller counts as itself.",
    )

    # Slack (slack_app/): on only when the bot token and signing secret are set. The three secrets go by
    # the names Slack's own tools use; the PRIVACY_ASSISTANT_ prefixed names work too.
    slack_bot_token: str | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "PRIVACY_ASSISTANT_SLACK_BOT_TOKEN"),
        description="Bot token (xoxb-...); with the signing secret it turns the Slack app on.",
    )
    slack_signing_secret: str | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "PRIVACY_ASSISTANT_SLACK_SIGNING_SECRET"),
        description="Verifies that requests to /slack/events come from Slack.",
    )
    slack_app_token: str | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "PRIVACY_ASSISTANT_SLACK_APP_TOKEN"),
        description="App-level token (xapp-...) for Socket Mode.",
    )
    slack_privacy_channel: str | None = Field(
        None, description="Channel id (C...) where new requests and the daily digest are posted."
    )
    slack_team_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Slack user ids of the privacy team, comma-separated."
    )
    slack_team_group: str | None = Field(
        None, description="Slack user group id (S...) whose members are the privacy team."
    )
    slack_due_soon_days: int = Field(
        7, ge=1, le=60, description="'Due soon' means due within this many days."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack's Web API base URL (an egress proxy may stand in)."
    )

    @field_validator("slack_team_users", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [user.strip() for user in value.split(",") if user.strip()]
        return value

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    # The privacy team's web API (assistant/web/routes/team.py) and the service's own jobs.
    purge_interval_seconds: float = Field(
        3600,
        ge=0,
        validation_alias=AliasChoices(
            "PRIVACY_ASSISTANT_PURGE_INTERVAL_SECONDS", "PRIVACY_ASSISTANT_TRANSCRIPT_PURGE_INTERVAL_SECONDS"
        ),
        description="How often the service applies the retention periods; 0: never (use the CLI).",
    )
    memory_trim_seconds: float = Field(
        30,
        ge=0,
        description="How often the web service gives freed memory back after serving requests; 0: never.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [entry.strip() for entry in value.split(",") if entry.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(entry)
                except ValueError as exc:
                    raise ValueError(
                        f"{exc}; list the load balancers' IP addresses or networks, comma-separated "
                        "(e.g. 10.0.0.5,10.1.0.0/16)"
                    ) from None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator(
        "chroma_url",
        "database_url",
        "smtp_url",
        "encryption_key",
        "encryption_key_file",
        "webhook_url",
        "webhook_secret",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_privacy_channel",
        "slack_team_group",
        "llm",
        "llm_api_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if self.encryption_key and self.encryption_key_file:
            raise ValueError(
                "set PRIVACY_ASSISTANT_ENCRYPTION_KEY or PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE, not both"
            )
        return self

    @model_validator(mode="after")
    def _a_message_at_its_limit_fits_in_a_body(self) -> Settings:
        # A client may send every letter escaped (json.dumps does: "\u00e9" is 6 bytes), so a message
        # the README says is allowed must not meet the body limit first.
        longest = max(self.max_message_chars, self.max_question_chars)
        least = 6 * longest + 1024
        if self.max_body_bytes < least:
            raise ValueError(
                f"MAX_BODY_BYTES ({self.max_body_bytes:,}) cannot hold a message of {longest:,} characters; "
                f"set it to at least {least:,} or lower MAX_MESSAGE_CHARS / MAX_QUESTION_CHARS"
            )
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def encryption_key_path(self) -> Path:
        return self.encryption_key_file or self.data_dir / "encryption.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
