"""The feed probe: for every session, what the ranking had to choose from, what the user saw, and why the
session ended; for every user-day, how much of the in-network supply the user saw.

It answers the question behind every effect a ranking rule has on time and wellbeing: did the rule change
what people saw, and did what they saw change how long they stayed? A rule can only matter through the
candidates it ranks; when there are fewer fresh candidates than items a user views, the feed runs dry or
re-shows old posts, and time on the platform then reflects the supply, not the ranking.

    python -m sim.probe                                    # the default world, 500 users, 7 days
    python -m sim.probe policy=chronological n_users=2000 days=14

Per session (``ProbedModel.sessions``, one row each):

- ``candidates``: posts the ranking scored (in-network plus out-of-network), at most ``policy.m``;
- ``fresh_in_network``: posts by followees still eligible (younger than ``policy.max_age_hours``, not
  removed) that the user has not seen, before the session, whether or not the candidate cap let them in;
- ``in_network_live``: the same, seen or not;
- ``feed_length``, ``viewed``: items ranked into the feed (at most ``policy.k``) and items viewed;
- ``viewed_reshown``: viewed items the user had seen before (0 unless the rule re-shows seen posts);
- ``ended``: why the session ended, one of ``ENDINGS``: the user chose to stop; the page of ``policy.k``
  items ended (``page_end``); the feed had fewer than ``k`` items and all were viewed (``caught_up``); the
  session's time budget; the platform's time limit, pause nudge or stopping cue.

Per user-day (``ProbedModel.supply``): of the posts the user's followees published on a day, the share
the user had seen by the end of the next day (posts are eligible for ``policy.max_age_hours``, 48 h).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from numba import njit

from sim.behaviour import response
from sim.config import ConfigError, compose
from sim.model import FeedModel, Hour
from sim.ranking.kernels import gather_candidates, ring_slot, set_size
from sim.ranking.seen import has_seen

ENDINGS = ("chose_to_stop", "page_end", "caught_up", "time_budget", "time_limit", "pause_nudge", "stopping_cue")
_ENDING_OF = {response.ENDED_CHOICE: 0, response.ENDED_TIME: 3, response.ENDED_LIMIT: 4}
_ENDING_OF |= {response.ENDED_NUDGE: 5, response.ENDED_CUE: 6, response.ENDED_PAGE: 1}


@njit(cache=True)
def session_supply(session_users, hour, p, keys, g, posts, users, pool):
    """Per session: (candidates the ranking gathered, live in-network posts, of them unseen by the viewer)."""
    n_s = session_users.shape[0]
    out = np.zeros((n_s, 3), np.int64)
    cand_slot = np.empty(p.m, np.int64)
    cand_tie = np.empty(p.m, np.float64)
    cand_seen = np.empty(p.m, np.bool_)
    followee_set = np.full(set_size(np.max(np.diff(g.indptr))), -1, np.int64)
    cap = posts.rec.shape[0]
    for s in range(n_s):
        u = session_users[s]
        out[s, 0] = gather_candidates(
            u, hour, p, keys, g, posts, users, pool, cand_slot, cand_tie, cand_seen, followee_set
        )
        for e in range(g.indptr[u], g.indptr[u + 1]):
            author = users.rec[g.indices[e]]
            if author.active == 0:
                continue
            pid = author.last_post_id
            while pid >= 0:
                post = posts.rec[ring_slot(pid, cap)]
                if post.post_id != pid or hour - post.created_hour > p.max_age_hours:
                    break
                if post.removed == 0:
                    out[s, 1] += 1
                    if not has_seen(users.seen, u, pid):
                        out[s, 2] += 1
                pid = post.prev_by_author
    return out


@njit(cache=True)
def day_supply_seen(first_hour, last_hour, g, posts, users):
    """Per user: (posts by followees created in [first_hour, last_hour), of them seen by the user)."""
    n = g.indptr.shape[0] - 1
    out = np.zeros((n, 2), np.int64)
    cap = posts.rec.shape[0]
    for u in range(n):
        for e in range(g.indptr[u], g.indptr[u + 1]):
            pid = users.rec[g.indices[e]].last_post_id
            while pid >= 0:
                post = posts.rec[ring_slot(pid, cap)]
                if post.post_id != pid or post.created_hour < first_hour:
                    break
                if post.created_hour < last_hour:
                    out[u, 0] += 1
                    if has_seen(users.seen, u, pid):
                        out[u, 1] += 1
                pid = post.prev_by_author
    return out


class ProbedModel(FeedModel):
    """A ``FeedModel`` that records the probe's rows as it runs; the simulation itself is unchanged."""

    def __init__(self, cfg, **kwargs):
        super().__init__(cfg, **kwargs)
        self._session_rows: list[pd.DataFrame] = []
        self._supply_rows: list[pd.DataFrame] = []
        self._before: np.ndarray | None = None

    def phase_ranking(self, h: Hour) -> None:
        # counted before the ranking and scrolling of this hour mark anything as seen
        self._before = session_supply(
            h.session_users,
            h.hour,
            self.policy_p,
            self.rank_keys,
            self.graph_arrays,
            self._post_arrays(),
            self._user_arrays(),
            h.pool,
        )
        super().phase_ranking(h)

    def phase_scrolling(self, h: Hour) -> None:
        super().phase_scrolling(h)
        n_s = h.session_users.shape[0]
        if n_s == 0:
            return
        feeds, viewed = h.feeds, h.n_viewed
        within = np.arange(feeds.seen.shape[1])[None, :] < viewed[:, None]
        ending = np.array([_ENDING_OF.get(int(e), 1) for e in h.ended], np.int8)
        dry = (h.ended == response.ENDED_FEED) & (feeds.length < self.policy_p.k)
        ending[dry] = ENDINGS.index("caught_up")
        self._session_rows.append(
            pd.DataFrame(
                {
                    "hour": h.hour,
                    "user": h.session_users,
                    "candidates": self._before[:, 0],
                    "in_network_live": self._before[:, 1],
                    "fresh_in_network": self._before[:, 2],
                    "feed_length": feeds.length.copy(),
                    "viewed": viewed.copy(),
                    "viewed_reshown": (feeds.seen & within).sum(axis=1),
                    "ended": pd.Categorical.from_codes(ending, ENDINGS),
                }
            )
        )

    def phase_end_of_day(self, h: Hour) -> None:
        if h.hod == 23 and h.hour >= 47:
            # posts of the day before yesterday's end: eligible for 48 h, so their exposure is complete
            first = h.hour + 1 - 48
            counts = day_supply_seen(first, first + 24, self.graph_arrays, self._post_arrays(), self._user_arrays())
            has = counts[:, 0] > 0
            self._supply_rows.append(
                pd.DataFrame(
                    {"day": first // 24, "user": np.flatnonzero(has), "posts": counts[has, 0], "seen": counts[has, 1]}
                )
            )
        super().phase_end_of_day(h)

    @property
    def sessions(self) -> pd.DataFrame:
        return pd.concat(self._session_rows, ignore_index=True) if self._session_rows else pd.DataFrame()

    @property
    def supply(self) -> pd.DataFrame:
        return pd.concat(self._supply_rows, ignore_index=True) if self._supply_rows else pd.DataFrame()


def summary(model: ProbedModel) -> pd.Series:
    """The probe's figures for one run (means per session unless named as shares)."""
    s, d = model.sessions, model.supply
    viewed = s["viewed"].sum()
    out = {
        "sessions": len(s),
        "candidates per session": s["candidates"].mean(),
        "fresh in-network posts per session": s["fresh_in_network"].mean(),
        "items viewed per session": s["viewed"].mean(),
        "share of sessions with fewer fresh in-network posts than items viewed": (
            s["fresh_in_network"] < s["viewed"]
        ).mean(),
        "share of viewed items already seen": s["viewed_reshown"].sum() / viewed if viewed else np.nan,
        "share of a day's in-network posts seen by a follower": (
            d["seen"].sum() / d["posts"].sum() if len(d) else np.nan
        ),
    }
    shares = s["ended"].value_counts(normalize=True).reindex(ENDINGS, fill_value=0.0)
    out |= {f"ended: {k}": v for k, v in shares.items()}
    return pd.Series(out)


def probe(overrides: list[str]) -> ProbedModel:
    cfg = compose(["n_users=500", "days=7", *overrides])
    model = ProbedModel(cfg)
    for _ in range(24 * int(cfg.days)):
        model.step()
    return model


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    try:
        model = probe(argv)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    table = summary(model)
    width = max(map(len, table.index))
    for k, v in table.items():
        print(f"{k:<{width}}  {v:,.0f}" if k == "sessions" else f"{k:<{width}}  {v:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
