"""What a visitor's short replies mean in the dialogue: yes, no, cancel, a code, a bare name."""

from __future__ import annotations

import re

from assistant.intake.fields import valid_email

# The visitor's short answers in the languages the dialogue speaks (prompts/<locale>/).
YES = re.compile(
    r"^\s*(yes|y|yep|yeah|yup|sure|ok|okay|confirm|confirmed|submit|submit it|send it|go ahead|correct|"
    r"that'?s (right|correct)|looks good|do it|please do|yes please|start a request|yes,? start a request|"
    r"ja|jawohl|genau|bestätigen|bestätige|absenden|oui|d'accord|confirmer|je confirme|valider|sí|si|vale|claro|"
    r"confirmar|confirmo|sì|certo|va bene|confermo|confermare|prima|akkoord|bevestigen|bevestig|sim|pode ser|"
    r"tak|potwierdzam|zgoda|javisst|visst|bekräfta|bekräftar|skicka)"
    r"[\s.!,]*(please|thanks|thank you|bitte|danke|merci|gracias|grazie|graag|dank je|obrigad[oa]|dziękuję|tack)?[\s.!]*$",
    re.IGNORECASE,
)
NO = re.compile(r"^\s*(no|nope|nah|don'?t|nein|non|nee|não|nao|nie|nej)[\s.!]*$", re.IGNORECASE)
CANCEL = re.compile(
    r"^\s*(cancel|stop|abort|quit|never ?mind|forget it|cancel (it|that|the request|my request)|abbrechen|"
    r"stornieren|annuler|cancelar|annulla|annullare|annuleren|stoppen|anuluj|avbryt)[\s.!]*$",
    re.IGNORECASE,
)
CODE = re.compile(r"^\s*(\d{3})\s?(\d{3})\s*$")
PLAIN_NAME = re.compile(r"^[^\W\d_][^\W\d_'’.\- ]*(?:[ '’.\-]+[^\W\d_]+){0,5}\.?$")


def plain_name(text: str) -> str | None:
    """A reply that is just a name ("Jo Bloggs"), tidied; None for anything else."""
    candidate = " ".join(text.split()).strip(" .")
    if YES.match(candidate) or NO.match(candidate) or CANCEL.match(candidate):
        return None  # "ja", "sí": an answer, not a name
    if 2 <= len(candidate) <= 100 and PLAIN_NAME.match(candidate) and not valid_email(candidate):
        return candidate
    return None
