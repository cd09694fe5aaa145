"""Sleep: F4 (normal sleep without the platform), F9 (sleep loss hurts mood) and F10 (heavy use goes with
disturbed sleep)."""

from __future__ import annotations

import numpy as np

from sim.behaviour import sleep
from sim.experiments import stats
from sim.experiments.base import Context, measure


class SleepLab:
    """n sleepers driven hour by hour through the sleep kernels alone (no platform). ``shift_h`` is each
    sleeper's chronotype shift in hours (a number or an array)."""

    def __init__(self, cfg, n=50, shift_h=0.0, need=8.0, threshold_offset=0.0):
        self.cfg = cfg
        self.p = sleep.params(cfg)
        self.substeps = self.p.substeps_per_hour
        self.ctable = sleep.circadian_table(self.p.substeps_per_hour)
        self.n = n
        self.age = np.full(n, 2, np.int8)
        phase = cfg.behaviour.sleep.circadian_phase_h + np.broadcast_to(np.asarray(shift_h, float), (n,))
        self.shift = np.round(phase * self.substeps).astype(np.int32)
        self.need = np.full(n, need, np.float32)
        self.offset = np.broadcast_to(np.asarray(threshold_offset, np.float32), (n,)).copy()
        self.S = np.full(n, 0.5)
        self.state = np.zeros(n, np.int8)
        self.ready_at, self.awake_until, self.onset = np.zeros(n), np.zeros(n), np.zeros(n)
        self.night_sleep, self.night_lost = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.pending = np.full(n, -1, np.int32)
        self.awake_min = np.zeros(n, np.float32)
        self.woke = np.zeros(n, np.uint8)
        self.last_sleep, self.last_onset = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.last_deficit, self.debt = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.hour = 0
        self.s_min, self.s_max = np.full(n, np.inf), np.full(n, -np.inf)  # per sleeper

    def args(self, alarms):
        sleepers = sleep.Sleepers(
            self.age,
            self.shift,
            self.offset,
            self.need,
            self.S,
            self.state,
            self.ready_at,
            self.awake_until,
            self.onset,
            self.night_sleep,
            self.night_lost,
            self.pending,
            self.awake_min,
            self.woke,
            self.last_sleep,
            self.last_onset,
            self.last_deficit,
            self.debt,
        )
        return (self.hour, self.hour % 24, alarms, self.p, self.ctable, sleepers)

    def run(self, days, alarm_hour=None, bed_minutes=0.0, alarm_days=range(5)):
        """Advance ``days``; returns user 0's nights as (sleep hours, onset hour of day, weekday) and keeps
        every user's nights in ``self.nights`` (a list of arrays: sleep hours of those who woke)."""
        nights = []
        self.nights = getattr(self, "nights", [])
        bed = np.full(self.n, bed_minutes, np.float32)
        arousal = np.zeros(self.n, np.float32)
        for _ in range(days * 24):
            day = self.hour // 24
            alarms = np.full(3, -1, np.int64)
            if alarm_hour is not None and day % 7 in alarm_days:
                alarms[:] = int(round(alarm_hour * self.substeps))
            sleep.advance_sleep(*self.args(alarms), True)
            woke_early = self.woke.copy()
            sleep.settle_sleep(*self.args(alarms), bed, arousal)
            woke = (woke_early | self.woke).astype(bool)
            if woke.any():
                self.nights.append(self.last_sleep[woke].astype(float))
            if woke[0]:
                nights.append((float(self.last_sleep[0]), float(self.last_onset[0]), day % 7))
            self.s_min, self.s_max = np.minimum(self.s_min, self.S), np.maximum(self.s_max, self.S)
            self.hour += 1
        return nights


@measure("sleep_baseline")
def sleep_baseline(ctx: Context) -> dict[str, float]:
    """F4: adults with the population's chronotypes and sleep needs, free days, no phone: mean sleep per
    night after a spin-up week, and where each sleeper's pressure S goes relative to the circadian band
    swept by that sleeper's thresholds."""
    p = ctx.params
    cfg = ctx.config()
    traits = cfg.population.traits
    rng = np.random.default_rng(ctx.seed)
    n = int(p["sleepers"])
    shift = traits.chronotype_shift_h["adult"] + rng.normal(0.0, traits.chronotype_sd_h, n)
    offset = sleep.draw_threshold_offsets(cfg, traits.sleep_threshold_sd, n, rng)
    lab = SleepLab(cfg, n=n, shift_h=shift, threshold_offset=offset)
    lab.run(int(p["spin_up_days"]))
    lab.nights, lab.s_min, lab.s_max = [], np.full(n, np.inf), np.full(n, -np.inf)
    lab.run(int(p["days"]))
    sc = cfg.behaviour.sleep
    c_min, c_max = sleep.circadian_range()
    low = sc.lower_threshold + lab.offset + sc.circadian_amplitude * c_min
    high = sc.upper_threshold + lab.offset + sc.circadian_amplitude * c_max
    # S's largest excursion beyond a sleeper's band (0 = never outside), in units of S
    outside = max(0.0, float(np.max(low - lab.s_min)), float(np.max(lab.s_max - high)))
    return {"F4a": float(np.concatenate(lab.nights).mean()), "F4b": outside}


@measure("sleep_loss_mood")
def sleep_loss_mood(ctx: Context) -> dict[str, float]:
    """F9: within users, the day's mean mood after a night with a sleep deficit of ``debt_hours`` or more
    versus after a night without one (deficit below ``rested_hours``), standardised by the SD of daily
    mood (Hedges' g on the user-days)."""
    p = ctx.params
    panel = ctx.run("main").user_days
    woke = panel["woke"]
    mood, deficit = panel["mood"], panel["sleep_deficit_hours"]
    short = woke & (deficit >= p["debt_hours"])
    rested = woke & (deficit < p["rested_hours"])
    both = short.any(axis=0) & rested.any(axis=0)  # users seen in both conditions
    diffs = [mood[short[:, j], j].mean() - mood[rested[:, j], j].mean() for j in np.flatnonzero(both)]
    m, s_, r_ = mood[:, both], short[:, both], rested[:, both]
    sd = np.sqrt(0.5 * (m[s_].var(ddof=1) + m[r_].var(ddof=1)))
    return {"F9": float(np.mean(diffs) / sd)}


@measure("heavy_use_sleep")
def heavy_use_sleep(ctx: Context) -> dict[str, float]:
    """F10: among young adults (Levenson et al. surveyed 19-32-year-olds), odds ratio of disturbed sleep
    (mean night shorter than ``short_hours`` or late onset on at least ``late_share`` of nights) for the
    top versus the bottom quartile of daily use."""
    p = ctx.params
    run = ctx.run("main")
    users = run.users[run.users["age_group"] == p["age_group"]]
    days = int(run.daily["day"].max()) + 1
    late = users["late_sleep_onset_days"] / days
    disturbed = (users["sleep_hours_mean"] < p["short_hours"]) | (late >= p["late_share"])
    q1, q3 = users["minutes_per_day"].quantile([0.25, 0.75])
    top, bottom = users["minutes_per_day"] >= q3, users["minutes_per_day"] <= q1
    keep = (top | bottom).to_numpy()
    return {"F10": stats.odds_ratio_2x2(top.to_numpy()[keep], disturbed.to_numpy()[keep])}
