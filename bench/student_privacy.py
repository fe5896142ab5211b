"""Student privacy benchmark: precision and recall on full names, and time per 1,000 posts.

A generated roster of 5,000 students in 25 schools (accented, hyphenated and multi-part
surnames, preferred names, first names that are common words) and a corpus of posts on
the schools' accounts. Posts name students of their own school in full, written every
way a post may (either order, "Last, First", possessive, camel-case hashtag, upper case,
accents dropped), and carry decoys: first names alone, common words that are first
names, staff members' names, and students of other schools. A full-name match counts as
a true positive when that student of that school is named in full in that post.
Seeded, so the figures are reproducible.

    .venv/bin/python -m bench.student_privacy [--students 5000] [--posts 2000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from checks.base import AccountView, CheckOptions
from checks.names import FULL, Roster, Student, build_roster, keyed_hash, name_phrases
from checks.student_privacy import student_privacy
from connectors.base import AccountSnapshot, Post

KEY = b"bench-roster-key-not-a-real-secret"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FIRST = [
    "Aiden", "Amara", "Beatriz", "Caleb", "Chloé", "Dmitri", "Elif", "Emma", "Eun-ji",
    "Farah", "Gabriel", "Hana", "Ibrahim", "Inès", "Jonah", "Kai", "Leila", "Lucas", "Maeve",
    "Mateo", "Mira", "Nadia", "Noah", "Olivia", "Omar", "Priya", "Quinn", "Rafael", "Saanvi",
    "Sofia", "Tariq", "Thea", "Uma", "Vikram", "Wen", "Xavier", "Yara", "Zoë", "Zane",
    "Ahmed", "Bianca", "Cyrus", "Delphine", "Emeka", "Freya", "Giulia", "Hamza", "Isla",
    "Jasper", "Keira", "Liam", "Lena", "Malik", "Niamh", "Oskar", "Pilar", "Rohan",
    "Saoirse", "Tobias", "Valentina", "Wiremu", "Yusuf",
]  # fmt: skip
# First names that are also common words: alone they must never count.
WORDY = ("Hope", "Grace", "Hunter", "Joy", "Summer", "River", "Sky", "Faith", "Will", "Mark")
LAST = [
    "Nguyen", "Okafor", "Lindqvist", "Castellanos", "Thornbury", "Marchand", "Okonkwo",
    "Brennan", "Villanueva", "Abernathy", "Wexley", "Solvang", "Pemberton", "Kowalczyk",
    "Haddad", "Ramírez", "Fitzgerald", "Tanaka", "Petrov", "Osei", "Delacroix",
    "Ó'Súilleabháin", "Mbeki", "Sandoval", "Bergström", "Achebe", "Kaur", "Whitfield",
    "Zhou", "Moreau", "Lindgren", "Farrowdale", "Oyelaran", "Quispe", "Halvorsen",
    "Ferreira", "Nakashima", "Rousseau", "Szabo", "Varga", "Castillo", "Ivanova", "Novak",
    "Dubois", "Mwangi", "Aziz", "Horvath", "Yilmaz", "Kapoor",
]  # fmt: skip
MULTI = ("de la Cruz", "Van der Berg", "Deshmukh-Rao", "Smith-Jones", "O'Brien", "Mac Giolla")
FILLER = (
    "The Grade {g} class visited the museum on Friday.",
    "Reminder: picture day is next week.",
    "We hope to see every family at the open house.",
    "The hunter education course starts Monday; grace period for forms ends Friday.",
    "Our summer reading list is posted on the school website.",
    "Joy and pride at the winter concert tonight!",
)


@dataclass(frozen=True)
class Person:
    student_id: str
    first: str
    last: str
    preferred: str
    school: str
    consent: str


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def make_roster(rng: random.Random, students: int, schools: int) -> list[Person]:
    """Students whose written full names (preferred names too) are unique within a school."""
    people: list[Person] = []
    taken: set[tuple[str, str, str]] = set()
    while len(people) < students:
        school = f"School {rng.randrange(schools):02d}"
        first = rng.choice(WORDY) if rng.random() < 0.08 else rng.choice(FIRST)
        last = rng.choice(MULTI) if rng.random() < 0.1 else rng.choice(LAST)
        preferred = rng.choice(FIRST) if rng.random() < 0.05 else ""
        names = (
            {(first, last, school), (preferred, last, school)}
            if preferred
            else {(first, last, school)}
        )
        if names & taken:
            continue
        taken |= names
        consent = rng.choice(("none", "first_name", "first_name", "full"))
        people.append(Person(f"S-{len(people):05d}", first, last, preferred, school, consent))
    return people


def written(rng: random.Random, person: Person) -> str:
    """One way a post may write the student's full name."""
    first = person.preferred if person.preferred and rng.random() < 0.5 else person.first
    last = person.last
    form = rng.randrange(7)
    if form == 0:
        return f"{first} {last}"
    if form == 1:
        return f"{last}, {first}"
    if form == 2:
        return f"{first} {last}'s"
    if form == 3:
        return "#" + "".join(
            w[:1].upper() + w[1:]
            for w in f"{first} {last}".replace("-", " ").replace("'", "").split()
        )
    if form == 4:
        return f"{first} {last}".upper()
    if form == 5:
        return _plain(f"{first} {last}")
    return f"{first} {last}".lower()


def make_posts(
    rng: random.Random, people: list[Person], schools: int, posts: int, staff: dict[str, str]
) -> tuple[dict[str, list[Post]], set[tuple[str, str]]]:
    """Posts per school account, and the truth: (post id, student id) named in full."""
    by_school: dict[str, list[Person]] = {}
    for p in people:
        by_school.setdefault(p.school, []).append(p)
    out: dict[str, list[Post]] = {}
    truth: set[tuple[str, str]] = set()
    for n in range(posts):
        school = f"School {n % schools:02d}"
        post_id = f"post-{n:05d}"
        parts = [rng.choice(FILLER).format(g=rng.randrange(1, 13))]
        for _ in range(rng.randrange(0, 3)):  # students of this school, in full
            person = rng.choice(by_school[school])
            parts.append(f"Congratulations to {written(rng, person)} on the science fair!")
            truth.add((post_id, person.student_id))
        if rng.random() < 0.5:  # a first name alone
            parts.append(f"{rng.choice(by_school[school]).first} read a poem at the assembly.")
        if rng.random() < 0.3:  # the principal, whose name mixes student names
            parts.append(f"Principal {staff[school]} welcomed families.")
        if rng.random() < 0.3:  # a student of another school, whose name no one here has
            here = {(p.first, p.last) for p in by_school[school]}
            here |= {(p.preferred, p.last) for p in by_school[school] if p.preferred}
            other = next(
                p
                for p in rng.sample(people, 50)
                if p.school != school and (p.first, p.last) not in here
            )
            parts.append(f"Thanks to {other.first} {other.last} for visiting.")
        rng.shuffle(parts)
        media = rng.random() < 0.5
        post = Post(post_id, NOW - timedelta(hours=n % 200), text=" ".join(parts), has_media=media)
        out.setdefault(school, []).append(post)
    return out, truth


def roster_of(people: list[Person], staff: dict[str, str]) -> Roster:
    rows = []
    longest = 1
    for p in people:
        student = Student(p.student_id, p.school, p.consent)
        for kind, phrase in name_phrases(p.first, p.last, p.preferred):
            rows.append((student, kind, keyed_hash(KEY, phrase)))
            longest = max(longest, len(phrase.split()))
    return build_roster(KEY, rows, staff.values(), longest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=25)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    people = make_roster(rng, args.students, args.schools)
    # Staff names share first names and surnames with students, never a whole name.
    full_names = {(p.first, p.last) for p in people}
    staff: dict[str, str] = {}
    for s in range(args.schools):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if (first, last) not in full_names:
                staff[f"School {s:02d}"] = f"{first} {last}"
                break
    started = time.perf_counter()
    roster = roster_of(people, staff)
    build_seconds = time.perf_counter() - started
    posts, truth = make_posts(rng, people, args.schools, args.posts, staff)

    options = CheckOptions()
    found: set[tuple[str, str]] = set()
    lapses = 0
    started = time.perf_counter()
    for school, school_posts in posts.items():
        view = AccountView("bench", "facebook", "1", school, roster=roster)
        snapshot = AccountSnapshot(
            "facebook", "1", NOW, posts=tuple(school_posts), post_text_read=True
        )
        finding = student_privacy.run(view, snapshot, options)
        lapses += int(finding.status == "lapse")
    check_seconds = time.perf_counter() - started
    # Precision and recall are measured on the matcher's full-name verdicts per post.
    for school, school_posts in posts.items():
        for post in school_posts:
            for match in roster.find(post.text):
                if match.kind == FULL and match.student.school == school:
                    found.add((post.post_id, match.student.student_id))
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    n_posts = sum(len(p) for p in posts.values())
    print(
        f"roster: {len(people)} students, {args.schools} schools; keys built in {build_seconds:.2f} s"
    )
    print(f"posts: {n_posts}; full-name mentions planted: {len(truth)}; found: {len(found)}")
    print(f"full names: precision {precision:.3f}, recall {recall:.3f}")
    print(
        f"check time: {check_seconds:.2f} s for {n_posts} posts = "
        f"{check_seconds / n_posts * 1000:.2f} s per 1,000 posts ({lapses} accounts lapse)"
    )
    missed = sorted(truth - found)[:5]
    wrong = sorted(found - truth)[:5]
    if missed or wrong:
        print(f"first misses: {missed}; first false matches: {wrong}")


if __name__ == "__main__":
    main()
