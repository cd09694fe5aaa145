"""Structure-of-arrays containers for the model's state.

``UserState`` holds one NumPy array per user attribute, ``PostStore`` a ring buffer of recent posts
(older posts are moved to an archive for the ``posts`` table), and ``FollowGraph`` the directed follow
graph in CSR form. Kernels receive the individual arrays, so each mechanism's signature lists exactly
the state it reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.vocabulary import IDEALISED, INFORMATIONAL, N_STYLES, OUTRAGE, PERSONAL  # noqa: F401 (for the kernels)

# Sleep states
AWAKE, IN_BED, ASLEEP = 0, 1, 2
# Session kinds
NO_SESSION, DAY_SESSION, BED_SESSION, NIGHT_SESSION = 0, 1, 2, 3
# Post styles: their codes are indices into sim.vocabulary.STYLES (re-exported here for the kernels)
# 64-bit words in each daily "seen" Bloom filter per user (2,048 bits; see sim/ranking/seen.py).
SEEN_WORDS = 32

f32, f64, i8, i32, i64, u8 = np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8

# name -> dtype. Traits are set once by population.py / network.py; the rest evolves.
USER_FIELDS: dict[str, type] = {
    # traits
    "age_group": i8,
    "vulnerable": u8,
    "influencer": u8,
    "poster": u8,
    "treated": u8,
    "ideology": f32,
    "comparison": f32,
    "feedback_sensitivity": f32,
    "outrage_susceptibility": f32,
    "use_propensity": f32,
    "circadian_shift": i32,
    "followers": i32,
    "status": f32,
    "mood_trait": f32,
    "self_esteem_trait": f32,
    "symptoms_trait": f32,
    "loneliness_trait": f32,
    "polarization_trait": f32,
    "sleep_need_h": f32,
    "sleep_threshold_offset": f32,
    "main_topic": i8,  # the topic the user writes about most (sim/behaviour/interests.py)
    # posting phenotype (Turner et al. 2025) and reward-learning state
    "habit_weight": f32,
    "alpha_reward": f32,
    "alpha_habit": f32,
    "post_cost": f32,
    "expected_likes": f32,
    "habit_delay_h": f32,
    "post_clock_h": f32,
    "delay_since_post_h": f32,
    "last_post_id": i64,
    # sleep (two-process model)
    "sleep_pressure": f64,
    "sleep_state": i8,
    "ready_at_h": f64,
    "awake_until_h": f64,
    "onset_h": f64,
    "night_sleep_min": f32,
    "night_lost_min": f32,
    "pending_substep": i32,
    "last_sleep_h": f32,
    "last_onset_hod": f32,
    "last_deficit_h": f32,
    "sleep_debt_h": f32,
    "awake_min": f32,
    "woke": u8,
    "bed_minutes": f32,
    "arousal_min": f32,
    # sessions, notifications and feedback
    "habit": f32,
    "recent_value": f32,
    "notif_pending": f32,
    "notif_delivered": f32,
    "session_kind": i8,
    "likes_this_hour": i32,
    "hostile_replies_this_hour": i32,
    # wellbeing and opinion
    "mood": f32,
    "self_esteem": f32,
    "symptoms": f32,
    "loneliness": f32,
    "polarization": f32,
    # the platform's bridging model (matrix factorisation over likes)
    "mf_intercept": f32,
    "mf_factor": f32,
    # platform interventions (sim/platform/): media-literacy training (a trait change), minutes of
    # continuous use (pause nudge), today's time-limit state, moderation strikes and suspension
    "media_literacy": u8,
    "streak_min": f32,
    "limit_state": i8,
    "strikes": i32,
    "suspended_until_h": i64,
}
# Time-limit states (sim/platform/limits.py)
UNDER_LIMIT, LIMIT_LOCKED, LIMIT_DISMISSED = 0, 1, 2

# Counters, one row per user (row-major, so one user's counters are adjacent in memory).
# Over the user's own day (wake-up to wake-up), read by the slow daily updates:
USER_DAY = (
    "experiences",
    "negative",
    "positive",
    "upward_self_esteem",
    "feedback",
    "meaningful",
    "outgroup_hostile",
    "civil_crosscut",
    "minutes",
    "mood_sum",
    "mood_n",
    "upward",
)
(
    UD_EXPERIENCES,
    UD_NEGATIVE,
    UD_POSITIVE,
    UD_UPWARD_SE,
    UD_FEEDBACK,
    UD_MEANINGFUL,
    UD_OUTGROUP_HOSTILE,
    UD_CIVIL_CROSSCUT,
    UD_MINUTES,
    UD_MOOD_SUM,
    UD_MOOD_N,
    UD_UPWARD,
) = range(len(USER_DAY))
# Over the calendar day, read by metrics.py at midnight:
CALENDAR_DAY = (
    "minutes",
    "night_minutes",
    "bed_minutes",
    "sessions",
    "posts",
    "outrage_posts",
    "likes_received",
    "likes_given",
    "items",
    "hostile",
    "idealised",
    "supportive",
    "bridging",
    "upward",
    "mood_sum",
    "mood_n",
    "woke",
    "nudges",
    "limit_hits",
    "posts_removed",
    "caught_up",
)
(
    CD_MINUTES,
    CD_NIGHT_MINUTES,
    CD_BED_MINUTES,
    CD_SESSIONS,
    CD_POSTS,
    CD_OUTRAGE_POSTS,
    CD_LIKES_RECEIVED,
    CD_LIKES_GIVEN,
    CD_ITEMS,
    CD_HOSTILE,
    CD_IDEALISED,
    CD_SUPPORTIVE,
    CD_BRIDGING,
    CD_UPWARD,
    CD_MOOD_SUM,
    CD_MOOD_N,
    CD_WOKE,
    CD_NUDGES,
    CD_LIMIT_HITS,
    CD_POSTS_REMOVED,
    CD_CAUGHT_UP,
) = range(len(CALENDAR_DAY))
# Over the whole run, for the users table:
TOTALS = (
    "minutes",
    "night_minutes",
    "posts",
    "likes_received",
    "negative",
    "experiences",
    "sleep_h",
    "nights",
    "late_onsets",
    "upward",
    "positive",
)
(
    TOT_MINUTES,
    TOT_NIGHT_MINUTES,
    TOT_POSTS,
    TOT_LIKES_RECEIVED,
    TOT_NEGATIVE,
    TOT_EXPERIENCES,
    TOT_SLEEP_H,
    TOT_NIGHTS,
    TOT_LATE_ONSETS,
    TOT_UPWARD,
    TOT_POSITIVE,
) = range(len(TOTALS))


class UserState:
    """One array per user attribute (see USER_FIELDS), plus the 2-D arrays below."""

    def __init__(self, n: int, seen_days: int = 3):
        self.n = n
        for name, dtype in USER_FIELDS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        self.last_post_id[:] = -1
        self.pending_substep[:] = -1
        self.suspended_until_h[:] = np.iinfo(np.int64).min
        # learned value of each post style, in log(1 + likes) units
        self.style_value = np.zeros((n, N_STYLES), dtype=f32)
        # interest in each topic (sim/behaviour/interests.py replaces it with n x topics draws)
        self.interest = np.zeros((n, 1), dtype=f32)
        # one Bloom filter of posts seen per remembered day (sim/ranking/seen.py)
        self.seen = np.zeros((n, seen_days, SEEN_WORDS), dtype=np.uint64)
        self.user_day = np.zeros((n, len(USER_DAY)), dtype=f64)
        self.calendar_day = np.zeros((n, len(CALENDAR_DAY)), dtype=f64)
        self.totals = np.zeros((n, len(TOTALS)), dtype=f64)

    @property
    def nbytes(self) -> int:
        extra = (self.style_value, self.interest, self.seen, self.user_day, self.calendar_day, self.totals)
        return sum(getattr(self, k).nbytes for k in USER_FIELDS) + sum(a.nbytes for a in extra)


POST_FIELDS: dict[str, type] = {
    "post_id": i64,
    "author": i32,
    "created_hour": i32,
    "style": i8,
    "topic": i8,  # sim/behaviour/interests.py
    "quality": f32,
    "likes": i32,
    "impressions": i32,
    "likes_left": i32,
    "likes_right": i32,
    "impressions_left": i32,
    "impressions_right": i32,
    "hostile_replies": i32,
    "prev_by_author": i64,
    "mf_intercept": f32,
    "mf_factor": f32,
    # the platform's view: impressions and likes by its inferred side of the viewer, and the score
    "side_likes_a": i32,
    "side_likes_b": i32,
    "side_impressions_a": i32,
    "side_impressions_b": i32,
    "bridging": f32,
    # moderation (sim/platform/moderation.py): 1 once removed; a removed post is never shown again
    "removed": u8,
    # log(1 + likes), updated with likes: read for every candidate and item, computed once per like
    "log_likes": f64,
}
ARCHIVED_POST_FIELDS = (
    "post_id",
    "author",
    "created_hour",
    "style",
    "topic",
    "quality",
    "likes",
    "impressions",
    "hostile_replies",
    "removed",
)


class PostStore:
    """A ring buffer of posts: slot = post_id % capacity (a power of two).

    A post stays in the buffer at least ``min_age_hours`` (the candidate window); a write that would
    overwrite a younger post doubles the capacity instead. Overwritten posts go to the archive, which
    becomes the ``posts`` table. Post ids are consecutive in creation order.
    """

    def __init__(self, capacity: int, min_age_hours: int):
        # a power of two, so that kernels find a post's slot with a mask instead of a division
        self.capacity = 1 << (int(max(capacity, 64)) - 1).bit_length()
        self.min_age_hours = int(min_age_hours)
        self.next_id = 0
        self._alloc(self.capacity)
        self._archive: list[dict[str, np.ndarray]] = []

    def _alloc(self, cap: int) -> None:
        for name, dtype in POST_FIELDS.items():
            setattr(self, name, np.zeros(cap, dtype=dtype))
        self.post_id[:] = -1
        self.prev_by_author[:] = -1

    def _grow(self) -> None:
        old = {name: getattr(self, name) for name in POST_FIELDS}
        live = old["post_id"] >= 0
        self.capacity *= 2
        self._alloc(self.capacity)
        slots = old["post_id"][live] % self.capacity
        for name in POST_FIELDS:
            getattr(self, name)[slots] = old[name][live]

    def reserve(self, n_new: int, hour: int) -> np.ndarray:
        """Make room for n_new posts created at ``hour`` and return their slots (archiving evicted ones)."""
        while True:
            ids = np.arange(self.next_id, self.next_id + n_new, dtype=np.int64)
            slots = ids % self.capacity
            occupied = self.post_id[slots]
            evicted = occupied >= 0
            young = evicted & (self.created_hour[slots] > hour - self.min_age_hours)
            if n_new <= self.capacity and not young.any():
                break
            self._grow()
        if evicted.any():
            ev = slots[evicted]
            self._archive.append({name: getattr(self, name)[ev].copy() for name in ARCHIVED_POST_FIELDS})
        self.next_id += n_new
        return slots

    def table(self) -> dict[str, np.ndarray]:
        """All posts of the run (archived and live), ordered by post id."""
        live = np.flatnonzero(self.post_id >= 0)
        parts = self._archive + [{name: getattr(self, name)[live] for name in ARCHIVED_POST_FIELDS}]
        out = {name: np.concatenate([p[name] for p in parts]) for name in ARCHIVED_POST_FIELDS}
        order = np.argsort(out["post_id"], kind="stable")
        return {name: v[order] for name, v in out.items()}

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, k).nbytes for k in POST_FIELDS)


@dataclass
class FollowGraph:
    """Directed follow graph. ``followees`` of user u: indices[indptr[u]:indptr[u+1]] (sorted).

    ``mutual`` marks edges that are reciprocated (close ties). ``close_*`` is the CSR of each user's
    mutual ties, used to notify close ties of new posts.
    """

    indptr: np.ndarray
    indices: np.ndarray
    mutual: np.ndarray
    close_indptr: np.ndarray
    close_indices: np.ndarray
    followers: np.ndarray

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    def followees_of(self, u: int) -> np.ndarray:
        return self.indices[self.indptr[u] : self.indptr[u + 1]]

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (self.indptr, self.indices, self.mutual, self.close_indptr, self.close_indices, self.followers)
        )


def gather(bundle, *sources):
    """The NamedTuple ``bundle`` filled by field name from the first of ``sources`` (the users' state, the
    platform, ...) that has an attribute of that name: kernels receive bundles, not dozens of arrays."""
    values = []
    for name in bundle._fields:
        for source in sources:
            if hasattr(source, name):
                values.append(getattr(source, name))
                break
        else:
            raise AttributeError(f"{bundle.__name__}.{name}: none of the sources has it")
    return bundle(*values)
