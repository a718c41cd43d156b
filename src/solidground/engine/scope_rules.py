"""Keyword rules of scope mapping: which catalogue item a ticket's text names.

Each catalogue item has keywords (German and English); text and keywords are folded the same
way (``normalise_text``) and a keyword matches at the start of a word, with a small syntax for
the rest of German compounding and short acronyms (``*drucker``, ``"ad"``, ``e mail``). The
item with the most distinct keywords found wins; a tie is no match. ``compile_rules`` turns a
catalogue's keywords into one regular expression (a trie), ``match_rules`` maps texts and
``explain_rules`` says why. The full rules are in ``scope``'s docstring and
docs/scope-mapping.md; every name here is importable from ``scope`` too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CatalogueRuleSpec",
    "KeywordRule",
    "RuleMatch",
    "RuleSet",
    "compile_rules",
    "explain_rules",
    "match_rules",
    "normalise_text",
    "parse_keywords",
    "ticket_text",
]

# --------------------------------------------------------------------------------------------
# Text normalisation (shared by the rules and the classifier)
# --------------------------------------------------------------------------------------------

# casefold() already turns ß and ẞ into "ss"; the umlauts are folded to their two-letter
# spelling so that "Passwoerter" typed on an English keyboard and "Passwörter" are one word.
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def normalise_text(text: str) -> str:
    """Fold ``text`` for matching: lower case, umlauts as ae/oe/ue, ß as ss.

    >>> normalise_text("Drucker-Einrichtung für Müller GROẞ")
    'drucker-einrichtung fuer mueller gross'
    """
    if text.isascii():  # the common case, and ten times faster than the Unicode path
        return text.lower()
    # NFC first: text pasted from macOS mail may carry "a" + combining diaeresis for "ä".
    return unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)


def ticket_text(subject: str, category: str = "", description: str = "", limit: int = 500) -> str:
    """The text a ticket is mapped by: subject, category and the start of the description.

    Only the first ``limit`` characters of the description are used: signatures, quoted mail
    history and disclaimers further down mention every topic under the sun.
    """
    parts = (subject.strip(), category.strip(), description.strip()[:limit])
    return "\n".join(part for part in parts if part)


# --------------------------------------------------------------------------------------------
# Keyword rules
# --------------------------------------------------------------------------------------------

KeywordKind = Literal["prefix", "infix", "word"]


@dataclass(frozen=True, slots=True)
class CatalogueRuleSpec:
    """Keywords of one catalogue item. ``item_key`` is a stable id (code or primary key)."""

    item_key: str
    keywords: Sequence[str]


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """The item a rule mapped a ticket to, and the first of its keywords found (as written)."""

    item_key: str
    keyword: str


@dataclass(frozen=True, slots=True)
class _Keyword:
    written: str  # as the catalogue has it, for explanations
    compact: str  # folded, separators removed: the lookup key of a regex hit
    kind: KeywordKind
    parts: tuple[str, ...]  # folded words between separators


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """The parsed keywords of one catalogue item."""

    item_key: str
    keywords: tuple[_Keyword, ...]

    @property
    def written_keywords(self) -> tuple[str, ...]:
        return tuple(keyword.written for keyword in self.keywords)


@dataclass(frozen=True, slots=True)
class _Entry:
    item_index: int
    keyword: _Keyword


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled keyword rules: one regular expression for all items (see ``compile_rules``)."""

    rules: tuple[KeywordRule, ...]
    pattern: re.Pattern[str] | None
    # compact keyword -> every (item, keyword) it stands for; several items may share a keyword.
    lookup: Mapping[str, tuple[_Entry, ...]] = field(repr=False)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(rule.item_key for rule in self.rules)


_SEPARATORS = re.compile(r"[\W_]+")
_SEP = "\x00"  # trie token for "any or no separator" inside a phrase


def parse_keywords(field_text: str) -> tuple[str, ...]:
    """Split a catalogue item's keyword field (comma, semicolon or line separated).

    >>> parse_keywords('Drucker, printer; *scanner\\n"AD"')
    ('Drucker', 'printer', '*scanner', '"AD"')
    """
    return tuple(part.strip() for part in re.split(r"[,;\n]", field_text) if part.strip())


def _parse_keyword(written: str, item_key: str) -> _Keyword | None:
    text = written.strip()
    kind: KeywordKind = "prefix"
    if len(text) >= 2 and text[0] == text[-1] == '"':
        kind, text = "word", text[1:-1]
    elif text.startswith("*"):
        kind, text = "infix", text.lstrip("*")
    text = text.rstrip("*")  # "drucker*" means what "drucker" means already
    parts = tuple(part for part in _SEPARATORS.split(normalise_text(text)) if part)
    if not parts:
        if written.strip():
            raise ValueError(
                f"Catalogue item {item_key!r}: keyword {written!r} has no letters or digits; "
                "remove it or write the word it should find."
            )
        return None
    return _Keyword(written=written.strip(), compact="".join(parts), kind=kind, parts=parts)


def compile_rules(items: Sequence[CatalogueRuleSpec]) -> RuleSet:
    """Parse every item's keywords and compile them into one regular expression.

    The expression is a trie of all keywords (``\\b(?:dr(?:ucker|...)|...)``), so matching costs
    about the same for ten keywords as for a thousand. Items without keywords are kept (they
    never match). Raises ``ValueError`` for a duplicate item key or a keyword without letters.
    """
    rules: list[KeywordRule] = []
    seen: set[str] = set()
    lookup: dict[str, list[_Entry]] = {}
    word_start: list[_Keyword] = []
    inside: list[_Keyword] = []
    for spec in items:
        if spec.item_key in seen:
            raise ValueError(
                f"Catalogue item key {spec.item_key!r} appears twice; each item needs its own key."
            )
        seen.add(spec.item_key)
        parsed: list[_Keyword] = []
        for written in spec.keywords:
            keyword = _parse_keyword(written, spec.item_key)
            if keyword is None or any(
                k.compact == keyword.compact and k.kind == keyword.kind for k in parsed
            ):
                continue
            parsed.append(keyword)
            lookup.setdefault(keyword.compact, []).append(_Entry(len(rules), keyword))
            (inside if keyword.kind == "infix" else word_start).append(keyword)
        rules.append(KeywordRule(item_key=spec.item_key, keywords=tuple(parsed)))

    alternatives = []
    if word_start:
        alternatives.append(r"\b(?:" + _trie_regex(word_start) + ")")
    if inside:
        alternatives.append("(?:" + _trie_regex(inside) + ")")
    pattern = re.compile("|".join(alternatives)) if alternatives else None
    return RuleSet(
        rules=tuple(rules),
        pattern=pattern,
        lookup={key: tuple(entries) for key, entries in lookup.items()},
    )


_Trie = dict[str, "_Trie"]
_END = ""  # trie key: a prefix or infix keyword ends here
_WORD_END = "\\b"  # trie key: a whole-word keyword ends here


def _trie_regex(keywords: Iterable[_Keyword]) -> str:
    """A regex matching any of ``keywords``, factored by common prefixes.

    Whole-word keywords end in ``\\b``; a keyword that ends where a longer one goes on becomes
    an optional (greedy) tail, so the longest keyword at a place wins.
    """
    trie: _Trie = {}
    for keyword in keywords:
        node = trie
        for token in _SEP.join(keyword.parts):
            node = node.setdefault(token, {})
        if keyword.kind == "word":
            if _END not in node:  # a prefix keyword ending here already covers the whole word
                node[_WORD_END] = {}
        else:
            node.pop(_WORD_END, None)
            node[_END] = {}
    return _emit(trie)


def _emit(node: _Trie) -> str:
    branches = [
        (r"[\W_]*" if token == _SEP else re.escape(token)) + _emit(child)
        for token, child in sorted(node.items())
        if token not in (_END, _WORD_END)
    ]
    if _WORD_END in node:
        branches.append(r"\b")  # after the longer keywords: greedy, the longest wins
    if _END in node:
        return "(?:" + "|".join(branches) + ")?" if branches else ""
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _hits(text: str, rules: RuleSet) -> dict[int, list[_Keyword]]:
    """Item index -> its distinct keywords found in ``text``, in text order."""
    found: dict[int, list[_Keyword]] = {}
    if rules.pattern is None or not text:
        return found
    folded = normalise_text(text)
    for hit in rules.pattern.finditer(folded):
        start, end = hit.span()
        entries = rules.lookup.get(_SEPARATORS.sub("", hit.group()))
        if entries is None:  # cannot happen for a well-formed trie; never guess
            continue
        at_word_start = start == 0 or not _is_word_char(folded[start - 1])
        at_word_end = end == len(folded) or not _is_word_char(folded[end])
        credited: set[int] = set()  # one place in the text counts once per item
        for entry in entries:
            kind = entry.keyword.kind
            if (kind != "infix" and not at_word_start) or (kind == "word" and not at_word_end):
                continue
            if entry.item_index in credited:
                continue
            credited.add(entry.item_index)
            keywords = found.setdefault(entry.item_index, [])
            if entry.keyword not in keywords:
                keywords.append(entry.keyword)
    return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \b and \w mean in a str pattern


def _decide(found: Mapping[int, Sequence[_Keyword]], rules: RuleSet) -> RuleMatch | None:
    if not found:
        return None
    best = max(len(keywords) for keywords in found.values())
    winners = [index for index, keywords in found.items() if len(keywords) == best]
    if len(winners) != 1:
        return None  # a tie between items: ambiguous, left unmapped
    index = winners[0]
    return RuleMatch(item_key=rules.rules[index].item_key, keyword=found[index][0].written)


def match_rules(texts: Sequence[str], rules: RuleSet) -> list[RuleMatch | None]:
    """Map each text by keywords; ``None`` when no item or several items match equally."""
    return [_decide(_hits(text, rules), rules) for text in texts]


def explain_rules(text: str, rules: RuleSet) -> dict[str, list[str]]:
    """Every item whose keywords occur in ``text``, with those keywords (as written).

    For the review screen: shows why a ticket was mapped, or why it was ambiguous.
    """
    return {
        rules.rules[index].item_key: [keyword.written for keyword in keywords]
        for index, keywords in _hits(text, rules).items()
    }
