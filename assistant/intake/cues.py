"""What a message's words say, by rule: the rights it names (and refuses), whether it asks, questions
or thanks, whether it is a letter and what that letter's asking sentences ask.

The classifier (``classifier.py``) joins these with the model: the rules decide the clear cases and
are features of the rest. They read English; a message in another language is read in its English
rendering (``languages.py``).
"""

from __future__ import annotations

import re

import numpy as np

from assistant.intake.rights import RIGHTS

_QUESTION_START = re.compile(
    r"^\s*(how|what|what's|whats|when|where|why|which|who|whom|is|are|does|do i|do you|can i|could i|may i|"
    r"am i|will|would i|should|is it|if i|does the|did|have i|has|wat|"
    # About someone else, or anyone: "Can a parent request deletion of their child's data?"
    r"(can|could|may|do|does|is|are|will|would|should|must|has|have)\s+(a|an|someone|anyone|parents?|users?|people|"
    r"customers?|employees?|children|kids|minors|guardians?|companies|controllers?))\b",
    re.IGNORECASE,
)
_POLITE_IMPERATIVE = re.compile(
    r"\b(can you|could you|would you|will you|can u|could u|would u|please|pls|plz|plese|kindly)\b", re.I
)
_DEMAND = re.compile(
    r"\b(i want|i wanna|i would like|i'd like|i wish|i request|i hereby|i demand|i need you to|"
    r"i am writing|i'm writing|i write|we request|we demand|i withdraw|i revoke|i object|i take back|i'm withdrawing|"
    r"i am withdrawing|requesting|i (am |'m )?(hereby )?(exercis\w*|invok\w*)|i no longer|i don'?t want|i do not want|i do not agree|i contest|"
    r"(?<![\w'] )(?<!would )(?<!will )(?<!do )(?<!did )i need|(?:^|[.!?;,]+\s*)(wanna|want (to|it|them|my|all|everything))|"
    # The same in the languages visitors most often write in.
    r"quiero|quisiera|solicito|hiermit|ich möchte|ich bitte|bitte um|je veux|je souhaite|je demande|vorrei|voglio|"
    r"chiedo|richiedo|gostaria|eu quero|ik wil|verzoek|"
    # A correction stated: "should be tariq.h@... not tarik.h".
    r"should (be|read|say)\b[^.?!]{1,60}\b(not|instead)|(the )?new (one|address|number|e-?mail|phone|surname|name) is|"
    r"(wants?|asked|asking|would like|has asked) (us |me )?to|i'?m done|"
    # Third person, as staff forward a customer's ask: "customer wants her account deleted".
    r"(s?he|they|customer|client|user)\b[^!?\n]{0,60}?\b(wants|requests|is asking for|asked for|has requested)|"
    r"(e-?mailed|wrote|wrote in|called|rang|messaged|phoned)( us| in)? (asking|to ask|requesting)|je voudrais|ich will)\b",
    re.IGNORECASE,
)
_IMPERATIVE_START = re.compile(
    r"^\s*(please\s+|pls\s+|plz\s+|kindly\s+)?(delete|delet|deleet|remove|erase|wipe|forget|send|give|show|"
    r"hand|tell me|stop|unsubscribe|unsub|unsubscibe|opt me|take me|correct|fix|update|change|amend|export|"
    r"transfer|move|restrict|pause|freeze|limit|hold|keep|withdraw|revoke|cancel|close|get rid|provide|"
    r"copy|no more|don'?t|do not|dont|cease|suspend|make sure|make it stop|consider|disclose|erse|opt out|take|"
    r"(e-?)?mail (me|it|them|us|a|the|my|everything)|scrub|hold off|put|halt)\b",
    re.IGNORECASE,
)
# Asks put as questions about whether we would or they may: "Could I please have a copy ...", "Is there
# any chance you could fix my name?", "Would it be possible to close my account?". Not "Can I get a copy
# of my data?" nor "Can I delete my account?", which ask whether they can, nor "How can I get a copy?".
_INDIRECT_REQUEST = re.compile(
    r"(^|[.!?,;]\s*)((hi|hello|hey)\b[,!]?\s*)?(can|could|may|might) (i|we) (please|kindly) "
    r"(have|get|receive|obtain)\b|\b(any chance (you|u) (could|can|would)|is it possible for (you|u) to|"
    r"would it be possible (for (you|u) )?to|would (you|u) mind|wondering if (you|u) could|"
    r"appreciate it if (you|u) (could|would)|would (you|u) be able to|are (you|u) able to|"
    r"is there (a|any) way (you|u) (could|can))\b",
    re.IGNORECASE,
)
_LEGAL = re.compile(r"\b(article \d+|art\. ?\d+|gdpr|subject access|dsar|data protection|pursuant)\b", re.I)
_INJECTION = re.compile(
    r"\b(ignore (all |the |your )?(previous |prior |above )?(instructions|rules|guidelines|policy|prompt)|ignore the above|"
    r"(the )?(last|previous|other|another) (person|user|customer|requester)'?s?\b.{0,30}\b(data|e-?mail|address|details)|"
    r"(request|dsar) queue|from the queue|in the queue|"
    r"disregard (all |the )?(prior|previous)|system prompt|initial prompt|developer mode|you are now|"
    r"system override|forget your (guidelines|rules|instructions)|new instructions?|(?<!\bi )(?<!\bwe )act as the|"
    r"pretend you are|drop table|select \* from|<script|reveal your|repeat after me|as an admin|"
    r"(every|all) (other )?(users?|customers?|requesters?)'?s?\b.{0,40}\b(data|e-?mail|phone|records?)|"
    # Other people's data asked for the other way round: "the personal data of every user in Germany".
    r"(data|e-?mails?|details|records?|info\w*) (of|for|on|about) (every|all|each|other|another|your) (other )?(users?|customers?|clients?|members?)\b|"
    r"(data|details|records?|e-?mail|address|phone|info\w*) (of|for) (user|customer|client|account|member|id) ?#?\d+)\b|^\s*system\s*:|</system>",
    re.IGNORECASE,
)
# Clear cues for each right; the classifier catches the phrasings these miss.
_RIGHT_CUES = {
    "access": r"\b((send|give|show|provide|hand over|share|email)( me| us)?( with)? (a copy|a list|everything|all|whatever|what)|"
    r"(request|want|need|like|demand) access|(what|whatever)( \w+){0,4} (have|hold|keep|store|stored|collected|got)( \w+)? (on|about) me|copy of (my|all|the|any|what|his|her|their)|subject access|what (data|info\w*|personal \w+) (do )?(you )?(have|hold|keep)|"
    r"(send|give|show|provide|disclose) ((me )?a copy|me (all )?(my|the) (personal )?(data|info\w*|records))|access to (my|the) (personal )?data|"
    r"articles? (\d+\S* (and|&|,) )*15|art\. ?15|1798\.1(00|10|15)\b(?!\(d\))|see (my|the|all) (personal )?(data|info\w*)|"
    r"(right|requests?) to know|(want|wants|wish|like) to know what (data|info\w*|personal)|see what(ever)? (you|u)|see what'?s (in|on|stored|held)|"
    r"(wh?at|whatever)( [\w']+){0,4} (have|hav|hold|keep|store|stored|collected|got)( \w+)? (on|about) me|"
    r"(send|mail|e-?mail)( me)? (the lot|everything|all)|(info\w*|data|everything) sent to me|"
    r"disclose (the )?(categories|specific pieces|what)|access to (all|any|every) (my )?(personal )?(data|info\w*)|"
    r"auskunft|acceso a mis datos|copia de mis datos|accès à mes données|accesso ai (miei )?dati)\b",
    "rectification": r"\b(1798\.106|correct|rectif\w*|misspel\w*|spelt wrong|spelled wrong|is wrong|are wrong|incorrect\w*|inaccurate|"
    r"out of date|outdated|update my|amend|fix(ed)? (my|it|the)|articles? (\d+\S* (and|&|,) )*16|correct(ed|ion|ing)|"
    r"spel\w* wr\w+|(is|are|was|its|it's) (not|no longer|not more) (correct|right|accurate|valid|current)|"
    r"(is|are) wrong|change (it|my \w+) to|(please|pls) (to )?change (it|them|my (name|surname|address|e-?mail|"
    r"number|phone|details|date of birth|birthday))|(it|its|it's|this|that|mine|name|address|number|e-?mail|date|surname) "
    r"should (be|read|say)|"
    r"corregir|rectificar|berichtig\w*|corriger|rettific\w*|correggere)\b",
    "erasure": r"\b(delet\w*|deleet\w*|delte\w*|eras\w*|erse|wip(e|ed|ing)|forget me|forgotten|get rid of|destroy\w*|"
    r"articles? (\d+\S* (and|&|,) )*17|art\. ?17|1798\.105|scrub\w*|purg(e|ed|ing)|right to delete|"
    r"(remov|remvo|remoev)\w* (me|my|all|every|the|any|that|those|these|this)(?![^.]{0,40}\b(lists?|newsletters?|mailing|promo\w*|marketing|texts|sms|e-?mails|calls|adverts?|publicity)\b)|"
    r"(details|data|info\w*|account|profile|records?|it|them|everything) (removed|deleted|erased|wiped|gone)|"
    r"eliminen|eliminar|borren|borrar|cancellaste|löschen|lösch\w*|supprim\w*|effacer|cancellare|cancellate|apagar|verwijder\w*)\b",
    "objection": r"\b(i (formally )?object|objects? to|objecting to|objection|articles? (\d+\S* (and|&|,) )*21|art\. ?21|stop (profiling|tracking|analysing|analyzing)|out of (\w+ )?profiling|"
    r"legitimate interests?|(stop|cease) (using|processing)[^.]{0,40}\b(for|to)\b(?! now| the time being| a while| the moment| (direct )?marketing| advertising| ads| promo\w*| newsletters?))",
    "restriction": r"\b(restrict\w*(?![^.]{0,40}\bsensitive\b)|articles? (\d+\S* (and|&|,) )*18|art\. ?18|freeze my|hold off|"
    r"(pause|suspend|freeze|halt)\w* (all |any |the |my )?(use|using|proc\w*|the processing)|"
    r"(don'?t|do not|stop) (use|using|process\w*) (it|them|my \w+|any of \w+)[^.]{0,50}\b(until|while|till|whilst)\b|limit (what|the processing|processing)|(keep|hold) (my|the) (data|records|information)[^.]{0,40}\b(but|don'?t|do not|stop)|"
    r"(stop|cease) (using|processing)[^.]{0,40}\b(until|for now|while)\b|"
    # Kept but not used: "stop using my data but don't delete it", "don't delete it, just stop using it".
    r"(stop|don'?t|do not|no longer)( to)? (use|using|process\w*)\b[^.]{0,60}\b(but|not)\b[^.]{0,15}\b(delet|eras|remov)\w*|"
    r"(don'?t|do not|not) (delet|eras|remov)\w*[^.]{0,40}\b(but|just|only)\b[^.]{0,20}\b(stop|don'?t|do not)( to)? (use|using|process\w*))",
    "portability": r"\b(portab\w*|1798\.100\(d\)|machine[- ]readable|articles? (\d+\S* (and|&|,) )*20|art\. ?20|as (csv|json)|in (csv|json)|to (my )?(new|another|a different) "
    r"(provider|company|service|controller|vendor|app|platform|competitor)|transfer my (personal )?data|export my|"
    r"(data|it|everything|files?|history|account) exported|export\w* (it |them |my \w+ )?(to|as|in|for))\b",
    # "having withdrawn my consent, I request erasure" gives a reason, it asks no withdrawal.
    "withdraw_consent": r"(?<!having )(?<!have )(?<!had )(?<!i've )\b(withdr(?!ew|awn)\w* (of )?(my |any |the |all |that |this |your |every |each )?"
    r"(consent|concent|con\w*)|revok(e|es|ing) (my |any |the |all |that |every |each )?(consent|concent|con\w*)|"
    r"take back (my |that |the )?(consent|permission)|consent withdrawn|no longer (have my )?consent|"
    r"(consent\w*|ticked|agreed|opted in|permission)\b[^.]{0,80}\b(withdraw|revoke|take back|changed my mind)\b|"
    # "I withdraw, with immediate effect and under Article 7(3) GDPR, any consent ...".
    r"\b(withdraw|withdrawal|withdrawing|revoke|revoking|revocation)\b[^.;]{0,80}\bconsent|"
    r"don'?t consent|dont consent|widerruf\w*|retiro (mi )?consentimiento|retirer mon consentement|"
    r"revoco il (mio )?consenso)\b",
    "marketing_opt_out": r"\b(unsubscribe|unsub|unsubscibe|mailing lists?|newsletters?|newsleter|marketing|promo\w*|spam\w*|"
    r"sales (emails|calls|offers)|adverts?|opt (me )?out(?![- ]preference| of [^.;]{0,80}\b(sale|selling|sharing|targeted|cross[- ]context))|take (me|my \w+( \w+)?) off|call list|do not call|"
    r"stop (sending|e-?m\w*ing|calling|texting|contacting|mailing)( me)?|unsubscri\w*|publicity|publicidad|werbung|publicit\w*|pubblicit\w*)\b",
    # US state laws (CCPA/CPRA and those that followed): "Do Not Sell or Share My Personal Information".
    "opt_out_sale_sharing": r"\b(1798\.1(20|35)|(do not|don'?t|dont|stop|never|cease|no longer) (to )?(sell|selling|share|sharing)\b"
    r"(?! (it )?with (my|the) (team|colleagues?|family))|opt(ing|ed)? (me )?out of (the |any )?(sale|selling|sharing|targeted|cross[- ]context)|"
    r"sale (or|and|/|&) shar\w*|global privacy control|\bgpc\b|cross[- ]context|targeted advertising|"
    r"(sell|selling|sold) (my|our|his|her|their) (personal )?(data|info\w*|details)|"
    r"(my|our) (personal )?(data|info\w*|details) (being |to be |be |is |are )?sold|right to opt[- ]out)\b",
    "limit_sensitive_data": r"\b(1798\.121|limit\w*( the| your| its| our)? (use|using|disclosure|processing|sharing)[^.]{0,30}\bsensitive|"
    r"(restrict|limit)\w* [^.]{0,30}\bsensitive (personal )?(data|info\w*)|right to limit)\b",
}
# Source code, queries and log lines name "delete" or "data" without asking anything of us.
CODE = re.compile(
    r"^\s*(select|delete from|update \w+ set|insert into|drop table|curl|git|rm -\w*|sudo|def|class|import|"
    r"function|const|var|let|\{|\[|<\w+[ >])(\b|\s)|^\s*\d{4}-\d\d-\d\d[ t]\d\d:\d\d|^\s*\[?(info|warn|warning|error|debug)\]?[: ]|"
    r"\b(traceback|stack ?trace|\w+(error|exception):)|\b[a-z_]\w*\.[a-z_]\w*\(|\b\w+_\w+\(|\b(get|post|put|patch|delete) /\w",
    re.IGNORECASE,
)
# A few words naming a right, no question: "access request", "unsubscribe", "opt out".
TERSE = re.compile(r"\s*(\S+\s+){0,3}\S+?[.!]*\s*")
# A right quoted or talked about, not asked for: "translate 'delete my data'", "example sentence: ...".
MENTION = re.compile(
    r"\b(translate|spell|example sentence|for example:|what does|meaning of|define|summari[sz]e|explain)\b"
    r"|(?<!\w)[\"'‘“][^\"'’”]{0,60}\b(delete|erase|unsubscribe|access|withdraw|consent|opt[- ]out|restrict|object|remove)\b",
    re.IGNORECASE,
)
_LETTER = re.compile(
    r"^\s*(dear|to whom it may concern|sehr geehrte|madame|monsieur|estimad[oa]s?|egregi|gentile|geachte|"
    r"prezad[oa]s?|szanown|hej|re:|subject:|betreff:|objet ?:|asunto:|oggetto:|onderwerp:|assunto:|temat:|ämne:)",
    re.IGNORECASE | re.MULTILINE,
)
# How letters close: a long message that signs off as a letter is one, however it opens ("Hello,").
_CLOSING = re.compile(
    r"^\s*(yours (faithfully|sincerely|truly)|(kind|best|warm) regards|regards|sincerely|respectfully|"
    r"mit freundlichen gr(ü|ue)(ß|ss)en|cordialement|atentamente|cordiali saluti|distinti saluti|"
    r"met vriendelijke groet(en)?|atenciosamente|z powa(ż|z)aniem|med v(ä|a)nliga h(ä|a)lsningar)\b",
    re.IGNORECASE | re.MULTILINE,
)
_LETTER_CHARS = 400
_SUBJECT_LINE = re.compile(
    r"^\s*(re|subject|betreff|objet|asunto|oggetto|onderwerp|assunto|temat|ämne)\s*:", re.IGNORECASE
)
# How a letter asks, beyond a chat's words: a first-person performative ("I now withdraw", "we hereby
# ask you to", "I direct you not to sell"), the letter calling itself a request ("please treat this
# letter as"), and not "please confirm that my data was deleted", which asks for news of an act.
_PERFORMATIVE = re.compile(
    r"\b(i|we)( \w+ly| now| therefore| hereby| also| further| accordingly| formally)* (ask|request|direct|instruct|"
    r"require|withdraw|revoke|object|opt|exercise|invoke|am( \w+ly| now| therefore| hereby| also| formally)* (asking|requesting|withdrawing|exercising|invoking|"
    r"objecting|opting))\b|\b(treat|accept|consider) this (letter|e-?mail|message|notice) as\b|"
    # "we submit the following requests:", "I make this request under ...".
    r"\b(i|we)( hereby)? (submit|make|lodge|file) (the following|this|these|a|my|our)( \w+){0,3} (requests?|demands?)\b|"
    r"\bthis (letter|e-?mail|message|notice) (is|constitutes|serves as)\b",
    re.IGNORECASE,
)
_CONFIRMATION = re.compile(r"^\s*(please\s+)?(confirm|acknowledge)\b", re.IGNORECASE)
# Where a letter's sentence ends; not after a citation's abbreviations ("Art. 17 Abs. 1 lit. c", "s. 1798").
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?;])(?<!\blit\.)(?<!\bart\.)(?<!\babs\.)(?<!\bpara\.)(?<!\bsec\.)(?<!\bno\.)(?<!\bcf\.)(?<!\bs\.)\s+",
    re.IGNORECASE,
)
# A list item ("(a) the erasure of ...", "- my account"): it asks when the line that opens its list does.
_LIST_ITEM = re.compile(r"^\s*(\(?[a-z0-9]{1,3}[.)]|[-•*–])\s")
# A sentence that names a right without exercising it: "I am not, at this stage, requesting erasure",
# "I reserve my right to complain", "I may later ask you to correct it".
_HEDGED = re.compile(
    r"\b(not\b[^.]{0,30}\b(request\w*|ask\w*|seek\w*|exercis\w*|includ\w*)|reserve|without prejudice|"
    r"may (later|also|wish|in future|subsequently)|(if|should|unless) (you|i|we)\b|whether (i|we)\b|in the event|"
    r"entitled to|existence of the right|(my|the) right to (lodge|complain)|complain\w* to|supervisory authority|ico\b)",
    re.IGNORECASE,
)
_OWN_DATA = re.compile(
    r"\b(my|mine|our client'?s|his|her)\b[^.?!]{0,40}\b(personal )?(data|information|"
    r"details|records?|account|profile)\b|\bme (a copy of |all |any |every |the |of )*(my |the )?(personal )?(data|information|"
    r"details|records?)\b|\b(personal data|personal information)\b[^.?!]{0,40}\b(me|my|him|her)\b|"
    r"meine[nr]? daten|mes données|mis datos|i miei dati|mijn gegevens|meus dados|moich danych|mina (person)?uppgifter",
    re.IGNORECASE,
)
# The writer, or the person they act for ("our client", a CCPA agent's "the consumer").
_SELF = re.compile(
    r"\b(me|my|mine|myself|(our|my|the) client'?s?|the consumer'?s?|his|him|her)\b", re.IGNORECASE
)
_CONDITIONAL = re.compile(r"^\s*(if|when|once|suppose|supposing|hypothetically|in case)\b", re.IGNORECASE)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers)\b", re.IGNORECASE)
_ASKS_IF_ALLOWED = re.compile(
    r"^\s*((how|what|why|when|where)( do| can| should| would| could| will)?|can|could|may|should|do|does|is|are|am) i\b",
    re.IGNORECASE,
)
_INFO_REQUEST = re.compile(
    r"\b(can|could|would) you (please )?(explain|tell me (how|what|whether|if|why|where|which)|clarify|describe|summari[sz]e)\b"
    r"|^\s*(please )?(tell me (about|more)|explain|describe|summari[sz]e)\b"
    # Hypotheticals ask what would happen, not for it to happen.
    r"|\b(if i (asked|ask|wanted|want|were|requested|request|decide|made|make)|hypothetically|what if|suppose|"
    r"would i (need|have)|i'?m (thinking|considering|wondering))\b",
    re.IGNORECASE,
)
# "don't delete", "rather than erase": a negation one word before at most, in the same clause.
_NEGATED = re.compile(
    r"\b(don'?t|do not|dont|didn'?t|did not|not|never|without|no need to|nothing to|instead of|rather than)\s+(\w+\s+)?$",
    re.IGNORECASE,
)
_STOP_MARKETING = re.compile(
    r"\b(stop|unsubscrib\w*|opt(ing)? (me |him |her )?out|no (more|longer)|cease|remove (me|him|her|my)|object(s|ing)?|"
    r"take (me|him|her) off|do not (send|contact|call|e-?mail|text))\b",
    re.IGNORECASE,
)
# "suspend the scheduled deletion", "put the erasure on hold": keeping the data, not erasing it.
_PAUSED = re.compile(
    r"\b(suspend|pause|postpone|halt|stop|delay|hold off|put on hold)\w*( the| any| my)?( scheduled| planned)?\s+$",
    re.IGNORECASE,
)
# "I don't want it deleted", "not asking you to remove it". Not for the opt-outs, where "I don't want
# any more promotional emails" or "I don't want you to sell my data" is the request itself.
_NOT_WANTED = re.compile(
    r"\b(don'?t|do not|dont|never|not)\s+(want|wish|need|asking|ask|requesting)\s+([\w']+\s+){0,4}$",
    re.IGNORECASE,
)
# "radera det inte", "löschen Sie mein Konto nicht": where the negation follows the verb, the English
# rendering reads "delete my account not," (a clause that ends in "not").
_NOT_AFTER = re.compile(r"(\s+[\w'-]+){0,3}?\s+not\s*([,.;!?]|$)", re.IGNORECASE)
# The writer saying they ask nothing (not "I am not asking for anything to be deleted", which refuses
# one right only).
_DISCLAIMER = re.compile(
    r"\b(not|never)\s+(requesting|asking( you)?( for| to do)?)\s+anything\b(?!\s+(to be|else|other|but|except))"
    r"|\bnot writing to (ask|request|make)\b"
    r"|\b(have|make|making|is|it'?s)\s+no\s+(outstanding\s+|further\s+|formal\s+|new\s+)?request"
    r"|\b(this|it|that) is not a\s+(\w+\s+){0,2}request",
    re.IGNORECASE,
)
# "no erasure", "no deleting": said of erasure alone ("no more newsletters" asks for the opt-out).
_NO = re.compile(r"\bno\s+$", re.IGNORECASE)
# "until my objection is decided", "while you verify my objection": an objection already made, the
# reason for another ask (a restriction), not one made now.
_PENDING = re.compile(
    r"\b(until|till|while|whilst|pending|verif\w*|decid\w*|resolv\w*|review\w*|look into|consider\w*)(\s+[\w']+){0,3}\s+$",
    re.IGNORECASE,
)
_OPT_OUTS = ("marketing_opt_out", "opt_out_sale_sharing")
_CLAUSE = re.compile(r"[.!?;,:\n]+|\s+(?:and|but|then)\s+", re.IGNORECASE)
DATA_WORDS = re.compile(
    r"\b(my|me|data|info|information|details|account|records?|profile|consent|concent|marketing|newsletters?|e?-?mails?|"
    r"mailing|privacy|gdpr|request|spam|unsub\w*|processing|forgotten|personal|address|number|name|birthday|"
    r"date of birth|history|ads|profiling|cookies|texts|calls|datos|daten|données|dati|dados|gegevens)\b",
    re.IGNORECASE,
)


def speech_act_features(text: str) -> np.ndarray:
    """Features the embedding blurs: question or demand, polite imperative, legal wording, own data."""
    stripped = text.strip()
    clauses = [c for c in _CLAUSE.split(stripped) if c.strip()]
    demand = bool(_DEMAND.search(stripped))
    imperative = any(_IMPERATIVE_START.match(c) for c in clauses)
    indirect = bool(_INDIRECT_REQUEST.search(stripped))
    polite = (bool(_POLITE_IMPERATIVE.search(stripped)) or indirect) and not _INFO_REQUEST.search(stripped)
    question_start = bool(_QUESTION_START.match(stripped)) or bool(_INFO_REQUEST.search(stripped))
    # "Can I object to profiling?" asks whether, not for: the "I object" in it is no demand.
    # One question and nothing else ("If I sign up, can I withdraw consent later?") asks whether,
    # whatever request words it holds.
    info_question = (
        (question_start and not (demand or imperative or indirect))
        or (bool(_ASKS_IF_ALLOWED.match(stripped)) and not (imperative or indirect))
        or _only_asks(stripped)
    )
    return np.array(
        [
            info_question,
            stripped.endswith("?"),
            polite and not info_question,
            demand,
            imperative,
            bool(_LEGAL.search(stripped)),
            "@" in stripped,
            # Does it ask about the writer's own data? A letter in its asking sentences: a supplier's
            # notice names the same rights about everyone's.
            asks_about_own_data(stripped) if is_letter(stripped) else bool(_OWN_DATA.search(stripped)),
            bool(_THANKS.match(stripped)) and not demand and not imperative,
        ],
        dtype=np.float32,
    )


def _only_asks(text: str) -> bool:
    """True when every sentence naming a right is a question ("If I sign up, can I withdraw consent
    later?"), whatever request words it holds, and no other sentence asks for anything."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    named = [s for s in sentences if right_cues(s)]
    others = [s for s in sentences if s not in named]
    return (
        bool(named)
        and all(
            s.rstrip().endswith("?")
            and (_QUESTION_START.match(s) or _CONDITIONAL.match(s))
            and not _INDIRECT_REQUEST.search(s)
            for s in named
        )
        and not any(
            _DEMAND.search(s)
            or _POLITE_IMPERATIVE.search(s)
            or any(_IMPERATIVE_START.match(c) for c in _CLAUSE.split(s))
            for s in others
        )
    )


def cue_features(text: str) -> np.ndarray:
    """Per right: 1 when a clear cue names it, -1 when it is named only to be refused, else 0."""
    return np.array([{True: 1.0, False: -1.0, None: 0.0}[_cue(r, text)] for r in RIGHTS], dtype=np.float32)


def right_cues(text: str) -> list[str]:
    """The rights a message names unmistakably."""
    return [r for r in RIGHTS if _cue(r, text) is True]


def refused_rights(text: str) -> list[str]:
    """Rights a message names only to refuse them: "restrict it, but don't delete it"."""
    return [r for r in RIGHTS if _cue(r, text) is False]


def _cue(right: str, text: str) -> bool | None:
    """True when a cue names ``right``, False when every cue for it is negated, None when none does."""
    seen = None
    for match in re.finditer(_RIGHT_CUES[right], text, re.IGNORECASE):
        before = _CLAUSE.split(text[max(0, match.start() - 40) : match.start()])[-1]
        # "I do not want my data sold": for the sale opt-out, the negation is the request; so it is for
        # marketing when what is negated is sending it ("do not send marketing", "no more newsletters").
        negated = (
            (
                right != "opt_out_sale_sharing"
                and not (right == "marketing_opt_out" and _STOP_MARKETING.search(before))
                and (_NEGATED.search(before) or _NOT_AFTER.match(text, match.end()))
            )
            or (right == "erasure" and (_PAUSED.search(before) or _NO.search(before)))
            or (right == "objection" and _PENDING.search(before))
        )
        if not (negated or (right not in _OPT_OUTS and _NOT_WANTED.search(before))):
            return True
        seen = False
    return seen


def cued_apart(right: str, other: str, text: str) -> bool:
    """True when some clause of ``text`` names ``right`` without naming ``other``."""
    return any(
        _cue(right, clause) is True and _cue(other, clause) is None
        for clause in re.split(r"[.!?;:\n]+", text)
    )


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def disclaims_request(text: str) -> bool:
    """Whether the writer says they ask nothing: "Not requesting anything, just confirming my details",
    "I have no outstanding request", "this is not a formal request"."""
    return bool(_DISCLAIMER.search(text))


def asking_sentences(text: str) -> list[str]:
    """A letter's subject line and the sentences that ask for something, hedges and requests for
    confirmation left out; the items of a list an asking line opens ("I request: (a) ...") ask too."""
    asked: list[str] = []
    opens_list = False
    for line in text.splitlines():
        if not line.strip():
            continue  # a blank line between a list's items does not end the list
        if _LIST_ITEM.match(line) and opens_list:
            asked += [s for s in _SENTENCE_BREAK.split(line) if s.strip() and not _HEDGED.search(s)]
            continue
        asks = [s for s in _SENTENCE_BREAK.split(line) if _asks(s)]
        asked += asks
        opens_list = bool(asks) and line.rstrip().endswith(":")
    return asked


def _asks(sentence: str) -> bool:
    return (
        bool(sentence.strip())
        and not _HEDGED.search(sentence)
        and not _CONFIRMATION.match(sentence)
        and bool(
            _SUBJECT_LINE.match(sentence)
            or _DEMAND.search(sentence)
            or _PERFORMATIVE.search(sentence)
            or _POLITE_IMPERATIVE.search(sentence)
            # A letter's imperative opens its sentence: "... to access, correct and delete your data"
            # describes, where a chat's "restrict it, but delete nothing" asks in each clause.
            or _IMPERATIVE_START.match(sentence)
        )
    )


def asked_cues(text: str) -> list[str]:
    """The rights a letter's asking sentences name, in the taxonomy's order. A letter lists the data it
    means ("including my marketing preferences"): marketing counts only where it is to stop, or
    objected to ("we object to ... direct marketing")."""
    asked = {
        right
        for sentence in asking_sentences(text)
        for right in right_cues(sentence)
        if right != "marketing_opt_out" or _STOP_MARKETING.search(sentence)
    }
    return [r for r in RIGHTS if r in asked]


def is_letter(text: str) -> bool:
    """A letter rather than a chat message: it opens or closes as letters do and runs to a few paragraphs."""
    return len(text) >= _LETTER_CHARS and bool(_LETTER.search(text) or _CLOSING.search(text))


def asks_about_own_data(text: str) -> bool:
    """True when a letter asks something of its writer's data (or of the person's they act for): a
    supplier's questionnaire or a newsletter names the same rights about everyone's."""
    return bool(_OWN_DATA.search(" ".join(asking_sentences(text))))


def asks_right_for_self(text: str) -> bool:
    """True when one of a letter's asking sentences names a right and the writer or the person they act
    for ("please remove me from every marketing list", "delete her account"), or says in the first person
    that it asks ("I direct you to limit ..."): an ask of their own."""
    return any(right_cues(s) and (_SELF.search(s) or _PERFORMATIVE.search(s)) for s in asking_sentences(text))


# "what info have you got on me", "everything about me": the writer's data in chat words.
_ABOUT_ME = re.compile(
    r"\b(data|info|information|details|records?|everything|anything|stuff)\b[^.?!]{0,30}\b(on|about|of)\s+me\b",
    re.IGNORECASE,
)


def request_like(text: str) -> bool:
    """What a request looks like whatever it asks (issue 18): it cites the law, is a formal letter, or
    speaks of the writer's own data."""
    return bool(_LEGAL.search(text) or is_letter(text) or _OWN_DATA.search(text) or _ABOUT_ME.search(text))


def looks_like_request(text: str, asks: bool) -> bool:
    """A formal letter asking about the writer's data, or a demand that cites the law or names it."""
    return (is_letter(text) and asks_about_own_data(text)) or (
        asks and bool(_LEGAL.search(text) and _OWN_DATA.search(text))
    )
