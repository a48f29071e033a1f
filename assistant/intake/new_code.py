"""Whether a message asks for a new verification code, in the languages visitors write in.

A requester whose code expired, was locked after wrong tries or never arrived says so in their own
words: "send me a new code", "I didn't get the email", "der Code ist abgelaufen". The table below is
data: per language, the words that name the code or its mail and the words that ask for another one.
A message asks for a new code when, in one language, it

- uses a ``resend`` phrase ("resend", "send it again"), or
- names the ``code`` together with a ``fresh``, ``again`` or ``missing`` phrase ("a new code"), or
- names the ``mail`` together with a ``missing`` phrase ("the email never arrived"). A "new e-mail" is
  an address being corrected and "e-mail me again" a different wish, so neither counts.

Words are compared lower-cased and without accents ("código" is "codigo"); ``*`` at either end of a
word stands for any letters, for compounds and endings ("*code" is "Bestätigungscode", "kod*" "kodu").
To add a language, add its entry.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Longer messages are about something else that happens to mention a code.
MAX_WORDS = 30
# Addresses and links are names, not words: "resend.me@example.com" asks for nothing.
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+", re.IGNORECASE)

# fmt: off
NEW_CODE_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "code": ("code", "codes", "pin", "otp"),
        "mail": ("email*", "e mail*", "mail", "message"),
        "fresh": (
            "new", "another", "fresh", "expired", "expire*", "locked", "blocked", "invalid",
            "doesn t work", "does not work", "doesnt work", "not working", "no longer work*", "isn t working",
        ),
        "again": ("again", "resend", "re send"),
        "missing": (
            "didn t get", "did not get", "didnt get", "haven t got", "haven t gotten", "have not got",
            "didn t receive", "did not receive", "didnt receive", "haven t received", "have not received",
            "havent received", "not received", "never got", "never received", "never arrived", "never came",
            "didn t arrive", "did not arrive", "hasn t arrived", "has not arrived", "didn t come",
            "no email", "no code", "can t find", "cannot find",
        ),
        "resend": (
            "resend*", "re send*", "send it again", "send again", "send me another", "send another",
            "send the email again", "send the e mail again", "send the mail again",
        ),
    },
    "de": {
        "code": ("code*", "*code", "*codes", "pin"),
        "mail": ("e mail*", "email*", "mail*", "nachricht"),
        "fresh": (
            "neu*", "andere*", "abgelaufen", "gesperrt", "ungultig", "funktioniert nicht", "geht nicht",
        ),
        "again": ("nochmal", "noch mal", "noch einmal", "erneut", "wieder"),
        "missing": (
            "nicht bekommen", "nicht erhalten", "nicht angekommen", "nie bekommen", "nie erhalten",
            "nie angekommen", "keine e mail", "keine email", "keine mail", "keinen code", "kein code",
        ),
        "resend": ("erneut senden", "erneut schicken", "nochmal senden", "nochmal schicken", "neu senden"),
    },
    "fr": {
        "code": ("code*",),
        "mail": ("e mail*", "email*", "mail*", "courriel*", "message"),
        "fresh": (
            "nouveau", "nouvel", "nouvelle", "autre", "expire*", "bloque*", "invalide",
            "ne marche pas", "ne fonctionne pas", "marche pas",
        ),
        "again": ("encore", "a nouveau", "de nouveau", "renvoy*", "renvoi*"),
        "missing": (
            "pas recu", "jamais recu", "rien recu", "pas arrive*", "jamais arrive*", "n ai pas eu",
            "aucun code", "aucun e mail", "aucun email", "aucun mail",
        ),
        "resend": ("renvoyer", "renvoyez", "renvoie*", "renvoi"),
    },
    "es": {
        "code": ("codigo*",),
        "mail": ("correo*", "email*", "e mail*", "mail*", "mensaje"),
        "fresh": (
            "nuevo", "nueva", "otro", "otra", "caducad*", "caduco", "expir*", "bloquead*", "invalido",
            "no funciona", "no sirve",
        ),
        "again": ("otra vez", "de nuevo", "reenvi*", "reenvia*"),
        "missing": (
            "no recibi", "no he recibido", "no me llego", "no ha llegado", "no me ha llegado", "no llego",
            "nunca llego", "nunca recibi", "ningun codigo", "ningun correo",
        ),
        "resend": ("reenviar", "reenvia*", "reenvie*", "volver a enviar", "vuelve a enviar"),
    },
    "it": {
        "code": ("codice", "codici"),
        "mail": ("email*", "e mail*", "mail*", "posta", "messaggio"),
        "fresh": ("nuovo", "nuova", "altro", "scadut*", "bloccat*", "non funziona", "non valido"),
        "again": ("di nuovo", "ancora", "reinvi*", "rinvi*"),
        "missing": (
            "non ho ricevuto", "non e arrivat*", "non mi e arrivat*", "mai arrivat*", "mai ricevut*",
            "non ricevut*", "nessun codice", "nessuna email", "nessuna mail",
        ),
        "resend": ("reinviare", "reinvia*", "rinviare", "rimanda*", "manda* di nuovo"),
    },
    "nl": {
        "code": ("code*", "*code"),
        "mail": ("e mail*", "email*", "mail*", "bericht"),
        "fresh": ("nieuw*", "andere", "verlopen", "geblokkeerd", "werkt niet", "ongeldig"),
        "again": ("opnieuw", "nog een keer", "nog eens", "nogmaals", "weer"),
        "missing": (
            "niet ontvangen", "niet gekregen", "niet aangekomen", "nooit ontvangen", "nooit gekregen",
            "geen e mail", "geen email", "geen mail", "geen code",
        ),
        "resend": ("opnieuw sturen", "opnieuw verzenden", "opnieuw versturen", "nogmaals sturen"),
    },
    "pt": {
        "code": ("codigo*",),
        "mail": ("email*", "e mail*", "mail*", "mensagem"),
        "fresh": (
            "novo", "nova", "outro", "outra", "expir*", "bloquead*", "invalido", "nao funciona",
        ),
        "again": ("de novo", "novamente", "outra vez", "reenvi*"),
        "missing": (
            "nao recebi", "nao chegou", "nunca chegou", "nunca recebi", "nao recebeu", "nenhum codigo",
            "nenhum email",
        ),
        "resend": ("reenviar", "reenvie*", "reenvia*", "enviar de novo", "mandar de novo"),
    },
    "pl": {
        "code": ("kod*",),
        "mail": ("mail*", "e mail*", "email*", "wiadomos*", "maila"),
        "fresh": ("now*", "inny", "innego", "wygasl*", "zablokowan*", "nie dziala", "niewazn*"),
        "again": ("ponownie", "jeszcze raz", "znowu"),
        "missing": (
            "nie dostal*", "nie otrzymal*", "nie przyszed*", "nie przyszl*", "nie doszed*", "nie doszl*",
            "nie ma", "zadnego kodu", "zadnego maila",
        ),
        "resend": ("wyslij ponownie", "wyslijcie ponownie", "wyslij jeszcze raz", "ponowne wyslanie"),
    },
    "sv": {
        "code": ("kod*",),
        "mail": ("mejl*", "mail*", "e post*", "e mail*", "epost*"),
        "fresh": (
            "ny", "nytt", "nya", "annan", "utgang*", "gatt ut", "gick ut", "sparrad", "fungerar inte", "ogiltig",
        ),
        "again": ("igen", "en gang till", "pa nytt"),
        "missing": (
            "inte fatt", "inte fick", "fick inte", "fick aldrig", "aldrig fatt", "inte kommit",
            "kom aldrig", "kom inte", "ingen kod", "inget mejl", "inget mail",
        ),
        "resend": ("skicka igen", "skicka om", "skicka pa nytt", "skicka en ny"),
    },
}
# fmt: on


def asks_for_new_code(message: str) -> bool:
    """True when ``message`` asks for a new verification code (see the module's table)."""
    words = normalise(_ADDRESS.sub(" ", message))
    if not words or words.count(" ") >= MAX_WORDS:
        return False
    for groups in _patterns():
        found = {name for name, pattern in groups.items() if pattern.search(words)}
        if (
            "resend" in found
            or ("code" in found and found & {"fresh", "again", "missing"})
            or ("mail" in found and "missing" in found)
        ):
            return True
    return False


def normalise(text: str) -> str:
    """Lower case, accents off, words joined by single spaces: how the table's phrases are written."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ł", "l"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W_]+", text))


@lru_cache(maxsize=1)
def _patterns() -> list[dict[str, re.Pattern[str]]]:
    return [
        {name: _compile(phrases) for name, phrases in groups.items()} for groups in NEW_CODE_PHRASES.values()
    ]


def _compile(phrases: tuple[str, ...]) -> re.Pattern[str]:
    def word(w: str) -> str:
        core = re.escape(normalise(w.strip("*")))
        return ("\\w*" if w.startswith("*") else "") + core + ("\\w*" if w.endswith("*") else "")

    alternatives = [" ".join(word(w) for w in phrase.split()) for phrase in phrases]
    return re.compile(rf"(?<!\S)(?:{'|'.join(alternatives)})(?!\S)")
