"""Students' names as keyed hashes: the normaliser, the roster index and the n-gram matcher.

Names are folded the way the other text checks fold text (compatibility-normalised,
accents dropped, case-folded), possessive 's and apostrophes removed, hyphens and
punctuation made spaces. Each roster name phrase is kept only as an HMAC of its folded
form; a post's text is cut into token n-grams hashed with the same key and looked up
in a set, so matching costs the same whatever the size of the roster.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

CONSENTS = ("none", "first_name", "full")
# Kinds of name phrase: a full name, a first name alone, and a part (a surname alone, a
# first name that is a common word) that never makes a finding but is masked in excerpts.
FULL, FIRST, PART = "full", "first", "part"
STRENGTH = {PART: 0, FIRST: 1, FULL: 2}
# The first word of a phrase of several words: only there does the matcher try n-grams.
START = "start"
_CACHE_LIMIT = 200_000  # folded phrases whose hash the matcher remembers
HASH_HEX = 32  # 128 bits of the HMAC: collisions are out of reach for any roster size

# First names that are also everyday words: alone they say nothing, so they only count as
# part of a full name (precision: "Hope", "Grace", "Hunter" in a caption are rarely students).
COMMON_WORD_NAMES = frozenset(
    (
        "amber", "angel", "april", "art", "august", "autumn", "baby", "bear", "bill", "blue", "bob",
        "brook", "brooke", "buddy", "cash", "chance", "charity", "chase", "cliff", "crystal", "daisy",
        "dale", "dawn", "destiny", "dove", "drew", "faith", "fawn", "forest", "fox", "frank", "gale",
        "genesis", "ginger", "glen", "grace", "grant", "guy", "harmony", "haven", "hawk", "hazel",
        "heather", "holly", "honey", "hope", "hunter", "iris", "ivy", "jack", "jay", "journey", "joy",
        "june", "justice", "king", "lark", "liberty", "lily", "lyric", "mark", "mason", "max", "may",
        "melody", "mercy", "miles", "misty", "nova", "page", "paige", "pat", "patience", "pearl",
        "penny", "prince", "rain", "raven", "reed", "rich", "river", "robin", "rocky", "rose", "ruby",
        "rusty", "sage", "sandy", "serenity", "sky", "skye", "sparrow", "star", "stone", "storm",
        "summer", "sunny", "true", "trinity", "victory", "violet", "wade", "will", "win", "winter",
        "wolf", "wren", "young",
    )
)  # fmt: skip

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?", re.UNICODE)


def fold_word(word: str) -> str:
    """One word folded: no accents, lower case, no possessive 's, no apostrophes."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if plain.endswith("'s"):
        plain = plain[:-2]
    return plain.replace("'", "")


@dataclass(frozen=True, slots=True)
class Token:
    """A folded word and where it sits in the original text."""

    word: str
    start: int
    end: int


def normalise(text: str) -> str:
    """Text composed (NFC): token offsets are offsets into this form of the text."""
    return unicodedata.normalize("NFC", text)


def tokens(text: str) -> list[Token]:
    """The folded words of `text`; a camel-case hashtag also yields its parts (#JaneDoe).

    Offsets are into `normalise(text)`, which callers slicing the text must use.
    """
    out: list[Token] = []
    text = normalise(text).translate(_APOSTROPHES)  # one character for one: offsets hold
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        start, end = match.span()
        hashtag = start > 0 and text[start - 1] == "#"
        if hashtag:
            start -= 1
        word = fold_word(raw)
        if word:
            out.append(Token(word, start, end))
        parts = _camel_parts(raw) if hashtag else []
        if len(parts) > 1:
            out.extend(Token(fold_word(p), start, end) for p in parts if fold_word(p))
    return out


def _camel_parts(word: str) -> list[str]:
    """A hashtag's words by their capitals: "JaneDoe" -> Jane, Doe; "ÉmileDupont" too."""
    parts: list[str] = []
    current = ""
    for char in word:
        if char.isupper() and current and current[-1].islower():
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def fold_name(name: str) -> list[str]:
    """A roster name as folded words ("Smith-Jones" -> smith, jones; "O'Brien" -> obrien)."""
    return [t.word for t in tokens(name)]


def keyed_hash(key: bytes, phrase: str) -> str:
    """The HMAC of one folded phrase, hex, shortened to HASH_HEX characters."""
    return hmac.digest(key, phrase.encode("utf-8"), hashlib.sha256).hex()[:HASH_HEX]


def name_phrases(first: str, last: str, preferred: str = "") -> Iterator[tuple[str, str]]:
    """(kind, folded phrase) for every way a post may write this student's name."""
    surname = fold_name(last)
    givens = [g for g in (fold_name(first), fold_name(preferred)) if g]
    seen: set[tuple[str, str]] = set()
    for given in givens:
        if surname:
            for words in (given + surname, surname + given):
                for phrase in (" ".join(words), "".join(words)):  # "jane doe", "#JaneDoe"
                    seen.add((FULL, phrase))
        alone = " ".join(given)
        seen.add((PART if alone in COMMON_WORD_NAMES else FIRST, alone))
    if surname:
        seen.add((PART, " ".join(surname)))
    # A phrase that is both (a surname that is also a first name) keeps its strongest kind.
    strongest: dict[str, str] = {}
    for kind, phrase in seen:
        if phrase not in strongest or STRENGTH[kind] > STRENGTH[strongest[phrase]]:
            strongest[phrase] = kind
    starts = {(START, phrase.split()[0]) for phrase in strongest if " " in phrase}
    yield from sorted({(kind, phrase) for phrase, kind in strongest.items()} | starts)


def key_check(key: bytes) -> str:
    """A fingerprint of the key, stored with the roster, so a changed key is noticed."""
    return keyed_hash(key, "socmon roster key check")


@dataclass(frozen=True, slots=True)
class Student:
    """What socmon keeps of a student: never a name."""

    student_id: str
    school: str
    consent: str


@dataclass(frozen=True, slots=True)
class Match:
    """One roster name found in a text: whose, which kind, and where in the text."""

    student: Student
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Resolution:
    """A manager's answer to one finding: consent on file, or the post was edited."""

    kind: str  # "consent" | "edited"
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Scan:
    """What one text holds: this account's students' names, and where any roster name is."""

    matches: list[Match]
    spans: list[tuple[int, int]]  # every roster phrase of any school, to mask in excerpts


@dataclass(frozen=True, slots=True)
class Roster:
    """The imported roster as the check reads it: keyed hashes to students, and the key."""

    key: bytes = field(repr=False)
    entries: Mapping[str, tuple[tuple[Student, str], ...]]
    # Keys of staff names from the registry: a full name that is also staff is not a student.
    staff: frozenset[str] = frozenset()
    longest: int = 1  # most words in any phrase: the n-gram length to look up
    starts: frozenset[str] = frozenset()  # hashes of the first words of multi-word phrases
    _cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def _digest(self, phrase: str) -> str:
        digest = self._cache.get(phrase)
        if digest is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            digest = self._cache[phrase] = keyed_hash(self.key, phrase)
        return digest

    def scan(self, text: str, school: str | None = None) -> Scan:
        """Roster phrases in `text`, n-gram by n-gram and one set lookup each (no per-student
        scan); `school` keeps only that school's students (None: every school).

        Words inside a staff member's name are not looked at: "Principal Ann Lee" says
        nothing about a student called Ann.
        """
        words = tokens(text)
        digests = [self._digest(t.word) for t in words]
        found: list[Match] = []
        spans: list[tuple[int, int]] = []
        staff_spans: list[tuple[int, int]] = []
        for i, first in enumerate(digests):
            ends = [(first, i)]
            if first in self.starts:
                for j in range(i + 1, min(i + self.longest, len(words))):
                    phrase = " ".join(t.word for t in words[i : j + 1])
                    ends.append((self._digest(phrase), j))
            for digest, j in ends:
                where = (words[i].start, words[j].end)
                if digest in self.staff:
                    staff_spans.append(where)
                hits = self.entries.get(digest)
                if not hits:
                    continue
                spans.append(where)
                found.extend(
                    Match(student, kind, *where)
                    for student, kind in hits
                    if school is None or student.school == school
                )
        if staff_spans:
            found = [
                m for m in found if not any(lo <= m.start and m.end <= hi for lo, hi in staff_spans)
            ]
        return Scan(found, spans)

    def find(self, text: str) -> list[Match]:
        """Every roster phrase in `text`, of students of any school."""
        return self.scan(text).matches


def build_roster(
    key: bytes,
    rows: Iterable[tuple[Student, str, str]],
    staff_names: Iterable[str] = (),
    longest: int = 1,
) -> Roster:
    """A Roster from (student, kind, key hash) rows and the registry's staff names in clear."""
    entries: dict[str, list[tuple[Student, str]]] = {}
    starts: set[str] = set()
    for student, kind, digest in rows:
        if kind == START:
            starts.add(digest)
        else:
            entries.setdefault(digest, []).append((student, kind))
    staff: set[str] = set()
    for name in staff_names:
        words = fold_name(name)
        longest = max(longest, len(words))
        phrases = [
            " ".join(words[i : i + n])
            for n in range(2, len(words) + 1)
            for i in range(len(words) - n + 1)
        ]  # "Ann Lee", and "Dr. Ann Lee"
        if len(words) >= 2:
            phrases.append(" ".join([words[-1], *words[:-1]]))
        for phrase in phrases:
            staff.add(keyed_hash(key, phrase))
            starts.add(keyed_hash(key, phrase.split()[0]))
    frozen = {digest: tuple(hits) for digest, hits in entries.items()}
    return Roster(key, frozen, frozenset(staff), max(longest, 1), frozenset(starts))
