"""A program's own vocabulary: the tracks a student follows and the milestones that are signed off.

A program definition declares them ([[tracks]], [[milestones]]); a file that declares none gets the defaults below,
which are what every program had before programs could declare their own (thesis / non-thesis and six milestones,
signed off by the student's advisor or an administrator).
"""
from __future__ import annotations

from dataclasses import dataclass

# Who may sign a milestone off: the student's advisor, an administrator (the people who reach the sign-off page).
SIGNERS: tuple[str, ...] = ("advisor", "admin")
DEFAULT_SIGNED_BY: tuple[str, ...] = ("advisor", "admin")


@dataclass(frozen=True)
class TrackDef:
    """A track of a program: its code (stored on enrollments and requirements) and its label."""

    code: str
    label: str


@dataclass(frozen=True)
class MilestoneDef:
    """A milestone kind: code, label, who may sign it off, and the tracks it belongs to (empty = every track)."""

    code: str
    label: str
    signed_by: tuple[str, ...] = DEFAULT_SIGNED_BY
    tracks: tuple[str, ...] = ()

    def belongs_to(self, track: str | None) -> bool:
        """True when a student of this track can have this milestone."""
        return not self.tracks or track in self.tracks

    def may_sign(self, *, is_admin: bool, is_advisor: bool) -> bool:
        """True when an administrator or the student's advisor (as said) may sign this milestone off."""
        return (is_admin and "admin" in self.signed_by) or (is_advisor and "advisor" in self.signed_by)

    def signer_words(self) -> str:
        """Who may sign it off, in words: "the student's advisor or an administrator"."""
        words = {"advisor": "the student's advisor", "admin": "an administrator"}
        names = [words[s] for s in SIGNERS if s in self.signed_by]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


DEFAULT_TRACKS: tuple[TrackDef, ...] = (TrackDef("thesis", "Thesis"), TrackDef("non_thesis", "Non-thesis"))
DEFAULT_MILESTONES: tuple[MilestoneDef, ...] = (
    MilestoneDef("proposal", "Thesis proposal approved"),
    MilestoneDef("committee", "Committee formed"),
    MilestoneDef("defense", "Defense passed"),
    MilestoneDef("deposit", "Thesis deposited"),
    MilestoneDef("capstone", "Capstone project passed"),
    MilestoneDef("comprehensive_exam", "Comprehensive exam passed"),
)


@dataclass(frozen=True)
class Vocabulary:
    """A program's tracks and milestone kinds, in the order the definition lists them."""

    tracks: tuple[TrackDef, ...] = DEFAULT_TRACKS
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONES

    @property
    def track_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.tracks)

    @property
    def milestone_codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.milestones)

    def track_label(self, code: str | None) -> str:
        """The track's label (the code itself for a code the program does not declare)."""
        return next((t.label for t in self.tracks if t.code == code), code or "")

    def milestone(self, code: str) -> MilestoneDef | None:
        """The milestone kind with this code, or None."""
        return next((m for m in self.milestones if m.code == code), None)

    def milestone_label(self, code: str) -> str:
        """The milestone's label (the code itself for a code the program does not declare)."""
        found = self.milestone(code)
        return found.label if found else code

    def to_json(self) -> tuple[list[dict], list[dict]]:
        """(tracks, milestones) as JSON-ready lists, as the program row stores them."""
        return ([{"code": t.code, "label": t.label} for t in self.tracks],
                [{"code": m.code, "label": m.label, "signed_by": list(m.signed_by), "tracks": list(m.tracks)}
                 for m in self.milestones])

    @classmethod
    def from_json(cls, tracks: list | None, milestones: list | None) -> "Vocabulary":
        """The inverse of to_json; None (a program stored before vocabularies) means the defaults."""
        return cls(
            tuple(TrackDef(t["code"], t["label"]) for t in tracks) if tracks is not None else DEFAULT_TRACKS,
            tuple(MilestoneDef(m["code"], m["label"], tuple(m.get("signed_by") or DEFAULT_SIGNED_BY),
                               tuple(m.get("tracks") or ())) for m in milestones)
            if milestones is not None else DEFAULT_MILESTONES,
        )


DEFAULT_VOCABULARY = Vocabulary()
