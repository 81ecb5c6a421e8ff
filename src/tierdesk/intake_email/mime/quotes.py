"""Cutting quoted history and signatures off a reply, so a follow-up shows only what is new.

Recognised: "On <date>, <who> wrote:" attributions (Gmail, Apple Mail, Thunderbird; also in
German, French, Spanish, Dutch, Italian, Portuguese), "> " quoted lines (top-posted and
interleaved), Outlook "-----Original Message-----", an underscore rule or a "From: … Sent: …"
header block, a "-- " signature, and "Sent from my iPhone"-style trailers. Forwarded content
("---------- Forwarded message ---------", "Begin forwarded message:") is never trimmed: it is
what the sender wants us to read. When in doubt we keep text; the full body stays in ``text``.
"""

from __future__ import annotations

import re

_ATTRIBUTION_START_RE = re.compile(r"^\s*(On|Am|Le|El|Op|Il|Em|Den|Dne|W dniu)\s", re.IGNORECASE)
# "On <date> <who> wrote:" puts the verb last, "Am <date> schrieb <who>:" in the middle.
_ATTRIBUTION_VERB_RE = re.compile(
    r"\b(wrote|writes|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|skrev|napisał)\b",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE_RE = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Oorspronkelijk bericht|Messaggio originale|Mensagem original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE_RE = re.compile(r"^\s*_{10,}\s*$")
_FROM_LINE_RE = re.compile(r"^\s*\*?(From|Von|De|Van|Da|Från|Od)\s*:", re.IGNORECASE)
_SENT_LINE_RE = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato|Skickat|Wysłano)\s*:",
    re.IGNORECASE,
)
_SUBJECT_LINE_RE = re.compile(r"^\s*\*?(Subject|Betreff|Objet|Asunto|Onderwerp|Oggetto)\s*:", re.I)
_FORWARD_RE = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré"
    r"|Mensaje reenviado|Doorgestuurd bericht)\s*-{2,}|Begin forwarded message:)",
    re.IGNORECASE,
)
_MOBILE_TRAILER_RE = re.compile(
    r"^\s*(Sent from my \w[\w ]{0,30}|Sent from (Mail|Outlook) for \w+|Get Outlook for \w+"
    r"|Von meinem \w+ gesendet|Envoyé de mon \w+)\.?\s*$",
    re.IGNORECASE,
)
_BLANK_RUN_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_MAX_ATTRIBUTION_LINES = 3
_MAX_ATTRIBUTION_CHARS = 300


def trim_reply(text: str) -> str:
    """``text`` without quoted history and signature; ``text`` itself when nothing is left."""
    if not text.strip():
        return text
    lines = text.split("\n")
    limit = next((i for i, line in enumerate(lines) if _FORWARD_RE.match(line)), len(lines))
    head, tail = lines[:limit], lines[limit:]

    kept: list[str] = []
    changed = False
    i = 0
    while i < len(head):
        if _outlook_header_at(head, i):
            changed = True
            break
        span, dated = _attribution_at(head, i)
        if span:
            following = next((line for line in head[i + span :] if line.strip()), None)
            if following is not None and following.startswith(">"):
                changed = True
                i += span  # the attribution of the quoted lines below; they are dropped too
                continue
            if dated:
                changed = True
                break  # history without ">" prefixes under an "On <date> … wrote:" line
        if head[i].startswith(">"):
            changed = True
        else:
            kept.append(head[i])
        i += 1

    kept, signed = _drop_signature(kept)
    if not (changed or signed):
        return text
    result = "\n".join(kept).strip("\n")
    if tail:
        result = f"{result}\n\n" + "\n".join(tail) if result else "\n".join(tail)
    result = _BLANK_RUN_RE.sub("\n\n", result).strip("\n")
    return result if result.strip() else text


def _attribution_at(lines: list[str], i: int) -> tuple[int, bool]:
    """(lines spanned, dated) of a "… wrote:" attribution starting at line ``i``; (0, False)
    when there is none. Dated means it is an "On <date>, <who> wrote:" line, which is safe
    to cut at even when the history below it is not ">"-quoted; "On Monday I wrote:" is not."""
    if not any(line.rstrip().endswith(":") for line in lines[i : i + _MAX_ATTRIBUTION_LINES]):
        return 0, False
    joined = ""
    for span in range(1, _MAX_ATTRIBUTION_LINES + 1):
        if i + span > len(lines) or not lines[i + span - 1].strip():
            break
        joined = f"{joined} {lines[i + span - 1].strip()}".strip()
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            break
        if joined.endswith(":") and _ATTRIBUTION_VERB_RE.search(joined):
            dated = bool(_ATTRIBUTION_START_RE.match(lines[i])) and (
                any(ch.isdigit() for ch in joined) or "@" in joined
            )
            return span, dated
    return 0, False


def _outlook_header_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if ":" not in line and "--" not in line and "__" not in line:
        return False
    if _ORIGINAL_MESSAGE_RE.match(line):
        return True
    start = i
    if _RULE_RE.match(line):
        start = i + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        return start < len(lines) and bool(_FROM_LINE_RE.match(lines[start]))
    if not _FROM_LINE_RE.match(line):
        return False
    window = lines[start + 1 : start + 6]
    return any(_SENT_LINE_RE.match(w) for w in window[:2]) and any(
        _SUBJECT_LINE_RE.match(w) for w in window
    )


def _drop_signature(lines: list[str]) -> tuple[list[str], bool]:
    """Lines without a trailing "-- " signature or mobile trailer, and whether one was cut."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    cut = end
    for j in range(end - 1, 0, -1):
        if lines[j].rstrip() == "--" and any(line.strip() for line in lines[:j]):
            cut = j
            break
    while cut and not lines[cut - 1].strip():
        cut -= 1
    if (
        cut
        and _MOBILE_TRAILER_RE.match(lines[cut - 1])
        and any(x.strip() for x in lines[: cut - 1])
    ):
        cut -= 1
        while cut and not lines[cut - 1].strip():
            cut -= 1
    signed = any(line.strip() for line in lines[cut:end])
    return lines[:cut], signed
