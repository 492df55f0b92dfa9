"""Numbers written the way the reader's language writes them, for text the model reads in another language.

French writes "2 763" and "4.000" for two thousand seven hundred and sixty-three and four thousand, and
"2,5" for two and a half; English writes "2,763", "4,000" and "2.5". A small model asked in English about
a French passage copies "2 763" as "2", or "4.000 pieds" as "4": the passages it reads in another
language are given to it with their numbers rewritten in the answer's convention. The quotes shown to
the user stay the article's own text, and the fact check compares digits, so both spellings agree there.
"""

from __future__ import annotations

import re

# Languages that write a decimal comma and group thousands with a space or a dot (CLDR); the others
# (English, and any language not listed) write a decimal dot and group thousands with a comma.
DECIMAL_COMMA = frozenset({
    "fr", "de", "es", "it", "pt", "nl", "ru", "pl", "cs", "sk", "sl", "hr", "sr", "bg", "uk", "ro", "hu", "tr",
    "el", "da", "sv", "nb", "no", "nn", "fi", "et", "lv", "lt", "id", "vi", "ca", "gl", "eu", "is", "az", "kk",
})

_SPACES = " \u00a0\u202f"
# decimal-comma writing: 1-3 digits, then groups of three behind a space or a dot, then a decimal part
_COMMA_STYLE = re.compile(rf"(?<![\d.,])(\d{{1,3}}(?:[{_SPACES}.]\d{{3}})+|\d+)(,\d+)?(?![\d]|[.,]\d)")


def _uses_decimal_comma(language: str | None) -> bool:
    return (language or "en").split("-")[0].lower() in DECIMAL_COMMA


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    return separator.join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])


def localize_numbers(text: str, source: str | None, target: str | None) -> str:
    """``text``, written in ``source``, with its grouped and decimal numbers as ``target`` writes them,
    when ``source`` writes a decimal comma and ``target`` a decimal dot ("2 763,5" → "2,763.5").

    Only numbers whose writing differs between the two conventions change; years, dates, times ("14.30"),
    phone numbers and machine-translated decimals ("2.2 millions") do not. The other way round (English
    passages for a French answer) is left as written: the small model copies "2,763" whole.
    """
    if not _uses_decimal_comma(source) or _uses_decimal_comma(target):
        return text

    def rewrite(match: re.Match) -> str:
        whole, decimals = match.group(1), match.group(2)
        digits = re.sub(r"\D", "", whole)
        if whole == digits and not decimals:
            return match.group(0)
        out = _group(digits, ",") if whole != digits else digits
        return out + ("." + decimals[1:] if decimals else "")

    return _COMMA_STYLE.sub(rewrite, text)
