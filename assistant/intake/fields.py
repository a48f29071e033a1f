"""The fields of a request read from a message by rules: e-mail, phone, name, on whose behalf, categories.

Rules fit these fields: an address or a phone number has a shape, and people name themselves and
their children in a handful of ways. What a message asks for is left to the classifier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from assistant.intake.draft import FOR_ANOTHER

# Local part and domain as people type them; trailing dots and brackets are punctuation, not address.
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9][\w.+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# "jo at example dot com", written to dodge spam harvesters.
_SPELLED_EMAIL = re.compile(
    r"\b([A-Za-z0-9][\w.+-]*)\s*(?:\(at\)|\[at\]| at )\s*([A-Za-z0-9-]+)\s*(?:\(dot\)|\[dot\]| dot )\s*([A-Za-z]{2,})\b"
)
# "Email: jo@...", "my e-mail is", "reply to", "mailto:": the writer naming their own address.
_OWN_ADDRESS_CUE = re.compile(
    r"(\b(e-?mail|email address|e-?mail address|contact|reply to|respond to|reach me( at)?|write to me at|"
    r"send (it|them|the \w+|a copy|everything|my data) to|my address is|account|login|(i'?m|i am) the account (owner|holder),?)\s*(is|:|at)?\s*[<(\[]?\s*(mailto:)?\s*$)|mailto:\s*$",
    re.IGNORECASE,
)
# "All replies should go to ...", "send your answer to my personal address: ...", "my current address is":
# where the writer wants the answer. A letter may give several addresses of the writer's (the account's,
# an old one, the firm's general one): this is the one the verification goes to.
_REPLY_TO = re.compile(
    r"\b(repl(y|ies)|respon(d|se|ses)|answers?|confirmation|correspondence|write back|get back to me|"
    r"(current|private|personal|preferred) (e-?mail )?address)\b(?! from)[^@\n;]{0,80}$",
    re.IGNORECASE,
)
# "my former work address", "the address I used at the time", "... , which I no longer use": the writer's
# once, not where an answer reaches them.
_FORMER = re.compile(
    r"\b(former|old|previous|earlier|outdated|at the time|used to)\b[^@\n.;]{0,40}$", re.IGNORECASE
)
_FORMER_AFTER = re.compile(
    r"^[\s,)>\]]*(which|that|as)?\s*(i\s+)?(no longer|(do|does|did) not|don'?t|can ?not|can'?t)\b",
    re.IGNORECASE,
)
# A letter's header: "From: Jo Bloggs <jo@...>" (on its line or the next), a letterhead's "E: jo@...".
_HEADER = re.compile(r"(^|\n)\s*from\s*:[^@\n]*\n?[^@\n]*[<(]?\s*$|(^|\s)e\s*:\s*$", re.IGNORECASE)
# "my new provider's import address", "cc our lawyer at": someone else's address, not the writer's.
_OTHER_ADDRESS_CUE = re.compile(
    r"\b(provider|provider's|import|service|vendor|platform|controller|company|cc|copy in|lawyer|solicitor|"
    r"accountant|colleague|partner)\b[^@.;]{0,30}$",
    re.IGNORECASE,
)
# The people a writer acts for, by how they are related: family, or a client.
_RELATIONS = (
    r"son|daughter|child|kid|client|father|mother|dad|mum|mom|parents?|wife|husband|spouse|partner|brother|"
    r"sister|grandmother|grandfather|grandma|grandpa|granny|grandparents?|grandson|granddaughter|aunt|uncle|"
    r"niece|nephew|cousin|father-in-law|mother-in-law|principal|customer|consumer"
)
# "the account email is leo@...", "my son's address: ...", "my client (maria@...)": the data subject's.
_SUBJECT_ADDRESS_CUE = re.compile(
    rf"(\b(his|her|their|the child'?s|child'?s|({_RELATIONS})'?s?|the)\s+(\w+\s+){{0,2}}"
    r"(e-?mail|email address|e-?mail address|address|account|login|username)|\b(client|consumer|customer) e-?mail|"
    r"\bthe account|\b(registered|signed up|sign(ed)? in) (with|under|to|as|using)|(^|\n)\s*(account|login|username)|"
    rf"\b(my|our) ({_RELATIONS})\b[^@\n]{{0,40}}[(<])"
    # "her address with you is", "his login on your site:".
    r"(\s+(with|at|on|in|for)\s+(you|us|file|your\s+\w+))?"
    r"(\s+(is|was|=)|\s*[:=(<,-])?\s*[<(]?\s*$",
    re.IGNORECASE,
)
# "my wife's e-mail is ...", "my client's account: ...": another person's by the writer's own words, however
# the writer was taken to write (for themselves, a child or a client).
_RELATIVE_ADDRESS_CUE = re.compile(
    rf"\b(my|our)\s+(late\s+|elderly\s+|old\s+)?({_RELATIONS})'s\s+(\w+\s+){{0,2}}"
    r"(e-?mail|email address|e-?mail address|address|account|login|username)\b[^@\n]{0,12}$",
    re.IGNORECASE,
)
# After an address, words that say whose it is: "leo@... is my son's account", "(his login)"; a new
# clause after a comma ("..., his is leo@...") speaks of the next address, not of this one.
_WHOSE_AFTER = r"^\s*[)>\]]?\s*(\(\s*|[,—–-]?\s*(that'?s|this is|which is|is|was)\s+)"
_SUBJECT_AFTER = re.compile(rf"{_WHOSE_AFTER}((my|our)\s+({_RELATIONS})'s|his|her|their)\b", re.IGNORECASE)
# The writer speaking of themselves just before an address: "contact me on ...", "reply to my e-mail: ...".
_TO_ME = re.compile(
    rf"\b(me|myself|mine|i am|i'm)\b[^@\n]{{0,30}}$|\bmy\b(?!\s+(late\s+|\d+\S*\s+)?({_RELATIONS}))[^@\n]{{0,30}}$"
    r"|\b(reply|respond|write back|answer)\b[^@\n]{0,15}$",
    re.IGNORECASE,
)
# A clause about the person acted for: "she uses ...", "my son (12) made an account with the e-mail ...".
_THEIR_CLAUSE = re.compile(
    rf"\b((my|our)\s+({_RELATIONS})|he|she|they|his|her|their)\b[^.;!?\n@]*$", re.IGNORECASE
)
# "mine is jo@...", "jo@... is mine": the writer's.
_MINE = re.compile(r"\b(mine|my own)\s*(is|:)?\s*$", re.IGNORECASE)
_MINE_AFTER = re.compile(rf"{_WHOSE_AFTER}(mine|my own)\b", re.IGNORECASE)
# "using my address, jo@...", "my own e-mail: ...": the writer's, even with no "is".
_MY_ADDRESS = re.compile(r"\bmy (own )?(e-?mail( address)?|address)\b[^@\n]{0,12}$", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+")
SIGNATURE_WORDS = 8  # a closing name, title and company after the address, not another sentence
_STRICT_EMAIL = re.compile(r"[A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"(?<![\w@])(\+?\d[\d ()./-]{6,18}\d)(?![\w@])")
# A capitalised word that is not the start of an e-mail address ("Sven.Berg@..." is no name).
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zA-Zà-öø-ÿÀ-ÖØ-Þ'’-]+(?![\w.+-]*@)"
_HONORIFIC = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ \t]+)"
_NAME = rf"({_HONORIFIC}?{_NAME_WORD}(?:[ \t]+(?:(?:van|von|de|der|da|di|le|la|du|bin|al)[ \t]+)?{_NAME_WORD}){{0,3}})"
_SIGN_OFF = (
    r"regards|kind regards|best regards|warm regards|best wishes|best|many thanks|thanks|thank you|cheers|"
    r"sincerely|yours sincerely|sincerely yours|yours faithfully|yours truly|respectfully|signed|from|"
    # The same, as people write them in other languages.
    r"mit freundlichen grüßen|mit freundlichen gruessen|viele grüße|gracias|saludos|atentamente|cordialement|"
    r"bien à vous|merci|grazie|cordiali saluti|distinti saluti|met vriendelijke groet|groeten|obrigad[oa]|"
    r"atenciosamente|pozdrawiam|med vänlig hälsning"
)
_TRAILING_ADDRESS = r"(?:[ \t]*[,(<]?[ \t]*[\w.+-]+@[\w.-]+[ \t]*[)>]?)?[.!]?\s*$"
_NAME_PATTERNS = [
    re.compile(
        rf"\b(?i:my name is|my name's|(?:full )?name\s*:|requester\s*:|this is|i am|i'm|im)\s+{_NAME}"
    ),
    # "Laura Kim here", at the start or after a greeting.
    re.compile(rf"(?:^|(?i:hi|hello|hey|dear \w+)[,!]?\s+){_NAME}\s+(?i:here)\b"),
    # "it's Siobhan Kelly not Shivon Kelly": the right spelling of a name being corrected.
    re.compile(
        rf"\b(?i:it'?s|its|should be|is actually|spelled|spelt)\s+({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}})\s*,?\s+"
        r"(?i:not|instead of)\s+[A-Z]"
    ),
    # A sign-off, on its own line or (as chat joins lines) after the last sentence.
    re.compile(
        rf"(?:^|\n|[.!?,]\s+)\s*(?i:{_SIGN_OFF})\s*[,:\-–]?\s*\n?\s*{_NAME}{_TRAILING_ADDRESS}", re.MULTILINE
    ),
    # "- Dana Whitfield" closing the message, on its own line or after its last sentence.
    re.compile(rf"(?:^|[.!?]\s+|\s)[-–—]{{1,2}}\s*{_NAME}{_TRAILING_ADDRESS}", re.MULTILINE),
    # A letter's bare signature: two or three capitalised words closing it, after its last sentence.
    re.compile(
        rf"(?i:dear|hello|hi|to)\b.*[.!]\s+({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}})\s*$", re.DOTALL
    ),
    # "Jo Bloggs, jo@example.com" or "Jo Bloggs <jo@example.com>": a full name right before an address.
    re.compile(
        rf"(?:^|[.!?:;,]\s+|\n)\s*({_HONORIFIC}?{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}})\s*[,(<]?\s*[A-Za-z0-9][\w.+-]*@"
    ),
]
# Labels of the next field, when lines are joined: "Name: Paolo Rossi Email: ...".
_FIELD_LABELS = {
    "and",
    "i",
    "please",
    "my",
    "regarding",
    "email",
    "e-mail",
    "phone",
    "tel",
    "mobile",
    "address",
}
_FIELD_LABELS |= {
    "consumer",
    "agent",
    "requester",
    "contact",
    "request",
    "subject",
    "date",
    "ref",
    "reference",
    "account",
    "customer",
    "re",
}
_FIELD_LABELS |= {"thank", "thanks", "you", "regards", "cheers", "hi", "hello", "dear", "sincerely"}
# Departments that sign or forward a message: never a customer's name.
_TEAMS = {"support", "sales", "customer support", "customer service", "privacy team", "account management"}
# Words that follow "I am"/"I'm" without being a name.
_NOT_NAMES = {
    "writing",
    "asking",
    "not",
    "a",
    "an",
    "the",
    "so",
    "very",
    "really",
    "requesting",
    "contacting",
    "sick",
    "tired",
    "done",
    "fed",
    "annoyed",
    "angry",
    "furious",
    "trying",
    "going",
    "getting",
    "still",
    "here",
    "sure",
    "sorry",
    "happy",
    "concerned",
    "worried",
    "acting",
    "forwarding",
    "emailing",
    "making",
    "submitting",
    "exercising",
    "hereby",
    "unsubscribing",
    "also",
    "just",
    "no",
    "reaching",
    "interested",
    "curious",
    "wondering",
    "on",
    "in",
    "from",
    "at",
    "with",
    "now",
    "leaving",
    "formally",
    "withdrawing",
    "objecting",
    "unhappy",
    "disappointed",
    "looking",
    "following",
    "messaging",
    "their",
    "his",
    "her",
    "your",
    "my",
    "our",
    "parent",
    "guardian",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "legal",
    "lawyer",
    "attorney",
    "solicitor",
    "agent",
    "customer",
    "employee",
    "over",
    "moving",
    "quitting",
    "closing",
    "cancelling",
    "canceling",
    "ok",
    "okay",
    "fine",
    "good",
    "great",
}
_AGENT = re.compile(
    r"\b(on behalf of|acting for|act for|acts for|i represent|we represent|representing|instructed by|writing for)\s+"
    r"(my|our)?\s*(client|customer|the data subject|a california consumer|a consumer|mr|mrs|ms|miss|dr|mx)\b"
    r"|\bmy client\b|\bour client\b|\b(authori[sz]ed|authorised|appointed)\s+(agent|representative)\b"
    r"|\b(power of attorney|letter of authority|signed authori[sz]ation)\b"
    r"|\b(i am|i'm|we are|as)\s+(an?|the|his|her|their)?\s*(attorney|lawyer|solicitor|advocate|legal representative|law firm)\b"
    r"|\b(this|our|my) (law )?firm (represents|acts for)\b|\blaw (office|firm) of\b",
    re.IGNORECASE,
)
_PARENT = re.compile(
    r"\b(my|our)\s+(\d{1,2}[- ]year[- ]old\s+|teenage\s+|young\s+|little\s+)?(son|daughter|child|children|kid|kids|minor|"
    r"teenager|teen|boy|girl|ward|stepson|stepdaughter)('s)?\b"
    r"|\b(i am|i'm|as|we are)\s+(the|a|his|her|their)?\s*(parents?|guardians?|legal guardian|mother|father|mum|mom|dad)\b"
    r"|^\s*(mum|mom|dad|parent|mother|father) here\b|\bparent of\b|\bguardian of\b"
    rf"|\b(i am|i'm)\s+(?-i:{_NAME_WORD})'s\s+(mum|mom|dad|mother|father|parent|guardian)\b",
    re.IGNORECASE,
)
# A relative acting for an adult ("on behalf of my father", "my wife wants her data", "I'm his daughter"):
# an agent whose authority the team checks, like a lawyer's.
_FAMILY = (
    r"father|mother|dad|mum|mom|parents|wife|husband|spouse|partner|brother|sister|grandmother|grandfather|"
    r"grandma|grandpa|granny|grandparents?|aunt|uncle|niece|nephew|cousin|father-in-law|mother-in-law"
)
_RELATIVE = re.compile(
    rf"\b(on behalf of|for|writing for|acting for|in the name of)\s+(my|our)\s+(late\s+|elderly\s+|old\s+)?({_FAMILY})\b"
    rf"|\bon\s+(my|our)\s+(late\s+|elderly\s+)?({_FAMILY})'s\s+behalf\b"
    rf"|\b(my|our)\s+(late\s+|elderly\s+|old\s+)?({_FAMILY})\b(,?\s+(?-i:{_NAME_WORD}(\s+{_NAME_WORD})?),?)?\s+"
    r"(wants|would like|asked|asks|has asked|has|had|gets|receives|keeps|is getting|doesn'?t|does not|can'?t|"
    r"cannot|passed|died|no longer|never|signed|opened|used)\b"
    rf"|\b(my|our)\s+(late\s+|elderly\s+)?({_FAMILY})'s\s+(\w+\s+)?(account|e-?mail|data|details|profile|information|login)\b"
    r"|\b(i am|i'm)\s+(his|her|their)\s+(son|daughter|grandson|granddaughter|wife|husband|widow|widower|brother|"
    r"sister|nephew|niece|carer|caregiver)\b"
    rf"|\b(my|our)\s+({_FAMILY})\b[^@\n]{{0,40}}[(<]\s*[\w.+-]+@",
    re.IGNORECASE,
)
# A relative named, and data or an address that is theirs: "my wife ... her e-mail address is ...".
_FAMILY_MENTION = re.compile(rf"\bmy\s+(late\s+|elderly\s+|old\s+)?({_FAMILY})\b", re.IGNORECASE)
_THEIR_DATA = re.compile(
    r"\b(his|her|their)\s+(own\s+)?(personal\s+)?(data|e-?mail|email address|e-?mail address|address|account|"
    r"details|information|profile|login|records)\b",
    re.IGNORECASE,
)
# Staff passing on someone else's request, in the third person.
_FORWARDING = re.compile(
    r"\b(a|one of our|our|the|this)\s+([\w-]+\s+)?(customer|client|user|visitor|subscriber|member of the public|caller|"
    r"end user|former employee|candidate|contact|prospect|lead|recipient|account holder)s?\b.{0,60}\b(asked|has asked|"
    r"asks|wants|emailed|called|rang|requested|requests|wrote|says|said|would like|objects|is asking|replied)\b"
    # "got a call on the sales line from ...", "a request that came in through the partner portal".
    r"|\b(got|had|received|took|logged)\s+(a|an|this)\s+(call|e-?mail|message|ticket|request|complaint|letter|chat)\b"
    r".{0,40}\bfrom\b|\bcame in (through|via|from|on)\b|\b(sending|passing) (it |this )?(over|along|on)\b"
    r"|\b(i'?m|i am|we'?re|we are) (on|in|from) (the|our) [\w -]{0,30}\bteam\b|\bper (our )?process\b"
    r"|\bforward(ing|ed)\b.{0,60}\b(request|customer|client|user|e-?mail|message)\b|\bcustomer\s+(request|called|emailed|wants)\b"
    r"|\b(support )?ticket\b.{0,40}\b(customer|user|client)\b|\b(customer|client|user) (says|said|wants|requests)\b"
    r"|\bpassing (this |it )?on\b|\bescalating\b",
    re.IGNORECASE,
)
# "Customer X asked us to delete her data", "Mr Alvarez asked us ...": a named third person asks us.
_THIRD_PERSON_ASK = re.compile(
    rf"(?:^|[.!?:]\s+)(?:(?i:customer|client|user)\s+)?(?!I\s)[A-Z][\w'’-]*(?:\s+{_NAME_WORD})?\s+(?i:asked us|has asked us|wants us|"
    r"would like us|emailed us|called us|rang us|wrote to us|asked (?:for|that))\b"
)
# The person a parent, guardian or agent asks for: "my son, Leo Marsh", "guardian of Mia Chen",
# "I represent Mr. David Okonkwo", "Consumer: Kevin O'Brien".
_SUBJECT_NAME = re.compile(
    r"(?:\b(?i:my|our|his|her)\s+(?:\d{1,2}[- ]year[- ]old\s+)?(?i:son|daughter|child|kid|ward|client|father|mother|"
    r"dad|mum|mom|husband|wife|partner|grandfather|grandmother|grandson|granddaughter|brother|sister)"
    r"|\b(?i:guardian|parent|father|mother|representative|agent|attorney|attorney-in-fact) of"
    r"|\b(?i:on behalf of|acting for|acts for|act for|represent|represents|representing)"
    r"|\b(?i:consumer|data subject|subject|client|child|minor)\s*(?i:name)?\s*:)"
    rf"\s*,?\s*(?:(?i:our|my)\s+(?i:client)\s*,?\s*)?({_HONORIFIC}?{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}})"
)
# The customer an employee passes on: "customer Tom Price", "a call from a Ms. Rachel Adeyemi",
# "Nadia Petrova <nadia@...> wants us to ...", "her name is Ana Ruiz".
_FULL_NAME = rf"({_HONORIFIC}?{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}})"
_FORWARDED_NAMES = [
    re.compile(
        r"(?:\b(?i:customer|client|user|subscriber|caller|contact|member|candidate|visitor|consumer)s?\s*(?i:name)?\s*[:,]?"
        rf"|\b(?i:from|by)\s+(?i:a|an|one)?\s*|\b(?i:(?:her|his|their) name is))\s*{_FULL_NAME}"
    ),
    # Then a full name given with an address: "Grace Hall, grace.h@example.org".
    re.compile(rf"(?:^|[.!?:;,]\s+){_FULL_NAME}\s*[,(<]?\s*[\w.+-]+@[\w.-]+"),
]
_DATA_SENTENCE = re.compile(
    r"\b(data|information|details|account|records?|emails?|newsletters?|marketing|profile|cookies|processing|address)\b",
    re.IGNORECASE,
)


def find_email(text: str, exclude: tuple[str, ...] = (), on_behalf_of: str = "self") -> str | None:
    """The requester's e-mail address: of the addresses that are not the company's own, the one the
    words around it rank first.

    Addresses at the company's own domains (those of ``exclude``) are never the requester's. The one
    the writer asks the answer to go to ("all replies should go to ...") comes first; then one they
    call theirs ("my e-mail is", an "Email:" line); then one in a letter's header or signature; then
    one merely mentioned; an old or a third party's address last. Someone writing for another person
    may give that person's address too ("the account email is leo@..."): that one is the data
    subject's, never the requester's (``find_subject_email``).
    """
    return _addresses(text, exclude, on_behalf_of)[0]


def find_subject_email(text: str, exclude: tuple[str, ...] = (), on_behalf_of: str = "self") -> str | None:
    """The e-mail address of the person a parent or agent writes for, when the message gives it."""
    return _addresses(text, exclude, on_behalf_of)[1]


def _addresses(text: str, exclude: tuple[str, ...], on_behalf_of: str) -> tuple[str | None, str | None]:
    """(the requester's address, the data subject's address), each None when not given."""
    own_domains = {a.rsplit("@", 1)[-1].lower() for a in exclude if "@" in a}
    candidates = [(m.start(1), m.group(1)) for m in _EMAIL.finditer(text)]
    candidates += [(m.start(), f"{m[1]}@{m[2]}.{m[3]}") for m in _SPELLED_EMAIL.finditer(text)]
    found: list[tuple[int, int, str]] = []
    header: list[str] = []
    unclaimed: list[str] = []  # given for another without a word of whose: the subject's, if anyone's
    subject: str | None = None
    for start, candidate in sorted(candidates):
        address = candidate.rstrip(".-").lower()
        if address in exclude or address.rsplit("@", 1)[-1] in own_domains or not valid_email(address):
            continue
        before = text[max(0, start - 60) : start]
        after = text[start + len(candidate) : start + len(candidate) + 40]
        whose = _whose(before, after, on_behalf_of)
        if whose == "subject":
            subject = subject or address  # never where the verification code goes
            continue
        # Lower ranks win; the first address wins a tie.
        other = bool(_OTHER_ADDRESS_CUE.search(before))  # someone else's: a provider's, a cc, a lawyer's
        if whose == "mine":
            rank = 0
        elif _FORMER.search(before) or _FORMER_AFTER.search(after):
            rank = 4
        elif _REPLY_TO.search(text[max(0, start - 100) : start]) and not other:
            rank = -1  # where the writer asks the answer to go, over every other address of theirs
        elif whose == "writer":
            rank = 1
        elif _HEADER.search(text[max(0, start - 160) : start]):
            rank = 2  # the sender's, in the letter's header
            header.append(address)
        elif _signed(text, start + len(candidate)):
            rank = 2  # closing the message, as a signature does
        else:
            rank = 4 if other else 3
        if on_behalf_of in FOR_ANOTHER and rank == 3:
            # Someone writing for a child or a client may give that person's address without saying
            # so: one neither theirs by its words nor in their signature is not where the code goes.
            unclaimed.append(address)
            continue
        found.append((rank, start, address))
    requester = min(found)[2] if found else None
    if on_behalf_of in FOR_ANOTHER and subject is None and found and min(found)[0] <= 2:
        # The writer's own address is known, by their words ("my e-mail is ...", "reply to ..."), their
        # header or their signature: another one they give, as an account's ("su cuenta es ...") or
        # beside the person's name ("Mme Amélie Roux (amelie.roux@...)"), is the person's they write for.
        best = min(found)[0]
        # Failing those, when the writer calls an address theirs, another of theirs not in the header.
        further = [a for rank, _, a in sorted(found) if rank > best and a not in header] if best <= 0 else []
        subject = next(iter(unclaimed + further), None)
    return requester, subject if subject != requester else None


def _whose(before: str, after: str, on_behalf_of: str) -> str | None:
    """Whose an address is by the words around it: "mine" (the writer calls it theirs), "writer" (an
    address given as the writer's, such as "account is ..."), "subject" (the person acted for), or None.

    The words before it ("mine is", "her address with you is", "she uses") and after it ("... is my
    son's account") decide; a relative named as the owner ("my wife's e-mail") counts whoever the
    writer was taken to be, the rest only when the writer acts for another."""
    if _MINE.search(before) or _MINE_AFTER.search(after):
        return "mine"
    if _RELATIVE_ADDRESS_CUE.search(before) or (
        on_behalf_of != "employee_forwarding" and _SUBJECT_AFTER.search(after)
    ):
        return "subject"
    if on_behalf_of not in FOR_ANOTHER:
        return "writer" if _OWN_ADDRESS_CUE.search(before) else None
    if _MY_ADDRESS.search(before):
        return "mine"
    if _SUBJECT_ADDRESS_CUE.search(before) or (not _TO_ME.search(before) and _THEIR_CLAUSE.search(before)):
        return "subject"
    return "writer" if _OWN_ADDRESS_CUE.search(before) or _TO_ME.search(before) else None


def _signed(text: str, end: int) -> bool:
    """Whether the address ending at ``end`` closes the message, as a signature does (a name or a
    phone number may follow it, no more sentences)."""
    return len(_WORDS.findall(text[end:])) <= SIGNATURE_WORDS


def valid_email(text: str) -> bool:
    """True for one plausible address: a local part, an @, a domain with a dot; no spaces."""
    return bool(_STRICT_EMAIL.fullmatch(text.strip())) and ".." not in text


def find_phone(text: str) -> str | None:
    """A phone number: 7 to 15 digits, with the separators people use."""
    scrubbed = _EMAIL.sub(" ", text)
    for match in _PHONE.finditer(scrubbed):
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        if re.fullmatch(r"(19|20)\d\d[-/.]\d\d?[-/.]\d\d?", raw) or re.fullmatch(
            r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", raw
        ):
            continue  # a date
        if 7 <= len(digits) <= 15:
            return ("+" if raw.startswith("+") else "") + " ".join(raw.lstrip("+").split())
    return None


def find_name(text: str) -> str | None:
    """The requester's name as they give it: "my name is ...", "I'm ...", "Name: ...", or a sign-off."""
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(text):
            name = _trim_name(match.group(1))
            if name:
                return name
    return None


def find_subject_name(text: str) -> str | None:
    """The full name of the child or client a request is made for, when the message gives it.

    A first name alone ("my son Leo") is not enough to find their records: the conversation asks.
    """
    for match in _SUBJECT_NAME.finditer(text):
        name = _trim_name(match.group(1))
        if name and " " in name:
            return name
    return None


def find_forwarded_name(text: str) -> str | None:
    """The name of the customer an employee passes a request on for, when the message gives it."""
    for pattern in _FORWARDED_NAMES:
        for match in pattern.finditer(text):
            name = _trim_name(match.group(1))
            if name and name.lower() not in _TEAMS:
                return name
    return None


def _trim_name(candidate: str) -> str | None:
    words = re.sub(rf"^{_HONORIFIC}", "", candidate).split()
    kept: list[str] = []
    for word in words:
        if word.lower().strip(":") in _NOT_NAMES or word.lower() in _FIELD_LABELS or word.endswith(":"):
            break
        kept.append(word)
    if not kept or not kept[0][0].isupper():
        return None
    return " ".join(kept)


def find_on_behalf_of(text: str, default: str = "self") -> str:
    """Whom the request is for: the writer, their child, a client, or a customer an employee forwards."""
    if _AGENT.search(text):
        return "authorised_agent"
    if _PARENT.search(text):
        return "parent_guardian"
    if _FORWARDING.search(text) or _THIRD_PERSON_ASK.search(text):
        return "employee_forwarding"
    if _RELATIVE.search(text) or (_FAMILY_MENTION.search(text) and _THEIR_DATA.search(text)):
        return "authorised_agent"
    return default


def find_categories(text: str, categories: Mapping[str, Sequence[str]]) -> list[str]:
    """The policy's data categories (its pack's: name -> words) the message touches, in the policy's order."""
    return [name for name, words in categories.items() if _words_pattern(tuple(words)).search(text)]


@lru_cache(maxsize=64)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # "log-in" also matches "login" and "log in"; a trailing "s" is allowed ("cookies", "orders").
    alternatives = [r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", w.strip())) for w in words]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")s?\b", re.IGNORECASE)


def find_data_concerned(text: str, limit: int = 300) -> str | None:
    """The sentences that say which data or processing is meant, contact details taken out."""
    scrubbed = _PHONE.sub("[phone]", _EMAIL.sub("[e-mail]", text))
    sentences = re.split(r"(?<=[.!?])\s+|\n+", scrubbed)
    chosen = [s.strip() for s in sentences if _DATA_SENTENCE.search(s)]
    if not chosen:
        return None
    joined = " ".join(chosen)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def redact(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced, for logs."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[e-mail]", text))
