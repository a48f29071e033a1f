"""What a visitor's short replies mean in the dialogue: yes, no, cancel, a code, a bare name."""

from __future__ import annotations

import re

from assistant.intake.fields import valid_email

YES = re.compile(
    r"^\s*(yes|y|yep|yeah|yup|sure|ok|okay|confirm|confirmed|submit|submit it|send it|go ahead|correct|"
    r"that'?s (right|correct)|looks good|do it|please do|yes please|start a request|yes,? start a request)"
    r"[\s.!,]*(please|thanks|thank you)?[\s.!]*$",
    re.IGNORECASE,
)
NO = re.compile(r"^\s*(no|nope|nah|don'?t)[\s.!]*$", re.IGNORECASE)
CANCEL = re.compile(
    r"^\s*(cancel|stop|abort|quit|never ?mind|forget it|cancel (it|that|the request|my request))[\s.!]*$",
    re.IGNORECASE,
)
CODE = re.compile(r"^\s*(\d{3})\s?(\d{3})\s*$")
PLAIN_NAME = re.compile(r"^[^\W\d_][^\W\d_'’.\- ]*(?:[ '’.\-]+[^\W\d_]+){0,5}\.?$")


def plain_name(text: str) -> str | None:
    """A reply that is just a name ("Jo Bloggs"), tidied; None for anything else."""
    candidate = " ".join(text.split()).strip(" .")
    if 2 <= len(candidate) <= 100 and PLAIN_NAME.match(candidate) and not valid_email(candidate):
        return candidate
    return None
