"""The features a ranking rule sees for one (viewer, candidate post) pair.

Every rule scores a candidate from this vector. The order below is part of the public interface;
add new features at the end.

=================  ==========================================================================
p_like             the platform's estimate of the probability that the viewer likes the post, from
                   its engagement model (``engagement_model.py``: learned from what it observes, or
                   the "oracle" response model at average susceptibility), with an estimation error
dwell              the platform's estimate of dwell time, minutes (same model)
tie                0 = not followed, 0.5 = followed, 1 = mutual follow (close tie)
in_network         1 if the viewer follows the author
agreement          1 - |ideology_viewer - ideology_author|, in [-1, 1] (true ideologies)
outrage            1 for outrage/hostile posts
idealised          1 for idealised self-presentation
supportive         1 for personal/supportive posts
informational      1 for informational posts
quality            informational quality in [0, 1]
bridging           approval across the divide, x10: the like rate on the less approving side of
                   the divide the platform learns from likes (``bridging.py``) minus the overall
                   like rate
log_likes          log(1 + likes so far)
age_hours          hours since the post was created
viewer_protected   1 if the viewer is a minor or in the vulnerable group
author_status      log(1 + author's followers)
seen               1 if the viewer has probably seen the post already (remembered for the whole
                   candidate window, ``seen.py``)
noise              uniform random number in [0, 1), fixed per (viewer, post, hour)
=================  ==========================================================================
"""

from __future__ import annotations

FEATURES = (
    "p_like",
    "dwell",
    "tie",
    "in_network",
    "agreement",
    "outrage",
    "idealised",
    "supportive",
    "informational",
    "quality",
    "bridging",
    "log_likes",
    "age_hours",
    "viewer_protected",
    "author_status",
    "seen",
    "noise",
)
N_FEATURES = len(FEATURES)
F = {name: i for i, name in enumerate(FEATURES)}
(
    F_P_LIKE,
    F_DWELL,
    F_TIE,
    F_IN_NETWORK,
    F_AGREEMENT,
    F_OUTRAGE,
    F_IDEALISED,
    F_SUPPORTIVE,
    F_INFORMATIONAL,
    F_QUALITY,
    F_BRIDGING,
    F_LOG_LIKES,
    F_AGE_HOURS,
    F_VIEWER_PROTECTED,
    F_AUTHOR_STATUS,
    F_SEEN,
    F_NOISE,
) = range(N_FEATURES)

BRIDGING_SCALE = 10.0
