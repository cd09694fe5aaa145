"""The interactive explorer: watch a platform setting change a population, in the browser.

    feedsim-explore                 # or: make explore, or: solara run sim/explorer/app.py

Scenario A (the reference) and scenario B (a scenario preset or ranking rule, optionally ranked by a
rule of one's own from a Python file, plus platform interventions) run side by side with the same
people and seed, one simulated day per step. Tabs:

- Difference B − A: the settings of both sides, a table of the last day and B − A over the days
- Outcomes under A and B: every outcome by group under A and under B
- One user: one user's recent hours under A and B: sleep, sessions, what the feed showed, mood
- Follow network: a sample of the follow network, coloured by ideology or wellbeing

The page is built from Mesa's parts but not Mesa's generic page (SolaraViz): its model controller
(Reset, ▶, Step) and parameter inputs, without the play-interval, render-interval and thread controls,
the theme toggle and the model-time display, which mean nothing here; one day counter replaces them.
Settings apply when the model is reset (the Reset button).
"""

from __future__ import annotations

import html

import mesa
import numpy as np
import pandas as pd
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import update_counter

from sim.config import ConfigError
from sim.explorer import figures, network_sample
from sim.explorer.model import (
    DEFAULT_ALTERNATIVE,
    DEFAULT_REFERENCE,
    DEFAULT_USERS,
    ExplorerModel,
)
from sim.explorer.settings import AS_CONFIGURED, PLATFORM_CONTROLS, scenario_choices

POPULATION_SIZES = ("300", "500", "1000", "2000", "5000")
WINDOW_HOURS = 48
NETWORK_COLOURS = ("ideology", "wellbeing change under A", "wellbeing change under B", "wellbeing B − A")


class PageModel(ExplorerModel):
    """ExplorerModel that shows bad settings on the page (and does not run) instead of raising inside
    the Reset button's handler, where the message would only reach the server log."""

    def __init__(self, **settings):
        try:
            super().__init__(**settings)
            self.error = None
        except ConfigError as e:
            mesa.Model.__init__(self)
            self.error = str(e)
            self.sides, self.day, self.days, self.running = (), 0, 0, False


model_params = {
    "reference": {
        "type": "Select",
        "label": "Scenario A (reference)",
        "value": DEFAULT_REFERENCE,
        "values": scenario_choices(),
    },
    "alternative": {
        "type": "Select",
        "label": "Scenario B",
        "value": DEFAULT_ALTERNATIVE,
        "values": scenario_choices(),
    },
    # a researcher's own rule replaces B's ranking rule; empty: B ranks as chosen above
    "rule_file": {"type": "InputText", "label": "B: rule file (file.py:function)", "value": ""},
    **{
        name: {
            "type": "Select",
            "label": f"B: {control.label.lower()}",
            "value": AS_CONFIGURED,
            "values": [AS_CONFIGURED, *control.values],
        }
        for name, control in PLATFORM_CONTROLS.items()
    },
    "n_users": {
        "type": "Select",
        "label": "Population size",
        "value": str(DEFAULT_USERS),
        "values": list(POPULATION_SIZES),
    },
    "seed": {"type": "InputText", "label": "Seed", "value": "0"},
    "days": {"type": "InputText", "label": "Days to run", "value": "28"},
}

# Page state that outlives a re-render; each browser session has its own.
open_tab = solara.reactive(0)
picked_user = solara.reactive(None)
days_back = solara.reactive(0)
network_colour = solara.reactive(NETWORK_COLOURS[0])
network_size = solara.reactive(120)


def _heading(text: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(text)}</b>", style="font-size: 15px;")


TABLE_STYLE = (
    "<style>.feedsim-table td, .feedsim-table th {padding: 1px 10px; text-align: right}"
    ".feedsim-table td:first-child, .feedsim-table th:first-child {text-align: left}</style>"
)


def _table(frame: pd.DataFrame, digits: int, classes: list[str], signed: tuple[str, ...] = ()) -> None:
    """A small table in plain HTML (the page loads nothing from the internet); numbers in the
    ``signed`` columns (differences) carry their sign."""
    formats = {
        c: (lambda v, d=digits, s=c in signed: figures.number_text(v, d, signed=s))
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c])
    }
    table = frame.to_html(index=False, border=0, formatters=formats, classes="feedsim-table")
    solara.HTML(
        tag="div", unsafe_innerHTML=TABLE_STYLE + table, style="font-size: 13px; overflow-x: auto;", classes=classes
    )


RUN_HELP = "Step simulates one day, ▶ runs to the last day, Reset applies the settings below."
# Figures are drawn at their size for a laptop screen and shrink with a narrower window.
FIGURE_STYLE = ".feedsim-figure {max-width: 100%; height: auto;}"


def _figure(image: bytes, name: str) -> None:
    solara.Image(image, classes=["feedsim-figure", name])


@solara.component
def DayCounter(model):
    """The page's one day counter: days count from 1 everywhere (axes, tables, the one-user view)."""
    update_counter.get()
    if model.error:
        return
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"{model.day} of {model.days} days simulated",
        classes=["feedsim-day-counter"],
        style="font-size: 15px; font-weight: bold; margin-top: 12px;",
    )


@solara.component
def Outcomes(model):
    update_counter.get()
    panels = solara.use_memo(figures.OutcomePanels, [])
    _heading("Outcomes by group under A and under B (the same y scale for both)")
    image = panels.draw(model.a.daily(), model.b.daily(), model.a.title, model.b.title, model.days)
    _figure(image, "feedsim-outcomes")


@solara.component
def Difference(model):
    update_counter.get()
    panels = solara.use_memo(lambda: figures.OutcomePanels(difference=True), [])
    daily_a, daily_b = model.a.daily(), model.b.daily()
    solara.Text(f"{model.a.title}: {model.a.settings}", classes=["feedsim-settings-a"])
    solara.Text(f"{model.b.title}: {model.b.settings}", classes=["feedsim-settings-b"])
    solara.Text(
        f"{model.n_users} users, seed {model.seed}. Both sides have the same people, network and random "
        "numbers, so a difference is the effect of the settings."
    )
    table = figures.latest_table(daily_a, daily_b)
    if not table.empty:
        wide = table.pivot(index="outcome", columns="group", values="B − A")
        wide = wide.reindex(index=table["outcome"].unique(), columns=table["group"].unique())
        _heading(f"B − A on day {figures.latest_day(daily_b)}, the last simulated")
        wide = wide.reset_index().rename_axis(columns=None)
        _table(wide, 3, ["feedsim-difference-table"], signed=tuple(wide.columns))
    _heading("B − A over the days")
    _figure(panels.draw(daily_a, daily_b, model.a.title, model.b.title, model.days), "feedsim-difference")


def _current_user(model) -> int:
    uid = picked_user.value
    return model.user_picks()[0][0] if uid is None or not 0 <= uid < model.n_users else uid


def _window(model) -> tuple[int, int]:
    end = model.a.trace.end - 24 * days_back.value
    return max(0, end - WINDOW_HOURS), end


def _user_summary(model, uid: int, start: int, end: int) -> pd.DataFrame:
    rows = {}
    for side in model.sides:
        h = side.trace.user_hours(uid, start, end)
        rows[side.name] = {
            "hours asleep": h["asleep_min"].sum() / 60,
            "minutes on platform": h["minutes"].sum(),
            "of which in bed or woken at night": h["minutes"][h["session"] >= 2].sum(),
            "items seen": sum(h[f"items_{style}"].sum() for style in figures.STYLE_COLOURS),
            "hostile items": h["items_outrage"].sum(),
            "idealised items": h["items_idealised"].sum(),
            "upward comparisons": h["upward_comparisons"].sum(),
            "mean mood (trait SD)": h["mood"].mean(),
        }
    table = pd.DataFrame(rows)
    table["B − A"] = table["B"] - table["A"]
    return table.rename_axis(figures.window_label(start, end)).reset_index()


@solara.component
def UserPicker(model):
    update_counter.get()
    picks = model.user_picks()
    uid = _current_user(model)
    by_label = {label: u for u, label in picks}
    _heading("One user's day: the same person under A and under B")
    solara.Select(
        "Pick a user",
        values=list(by_label),
        value=next((lb for u, lb in picks if u == uid), None),
        on_value=lambda label: picked_user.set(by_label[label]),
    )
    solara.InputInt("or type a user id", value=uid, continuous_update=False, on_value=picked_user.set)
    if picked_user.value is not None and picked_user.value != uid:
        solara.Warning(f"user {picked_user.value} does not exist: the ids run from 0 to {model.n_users - 1}")
    trace = model.a.trace
    max_back = max(0, (trace.end - trace.start - WINDOW_HOURS) // 24)
    if max_back:
        solara.SliderInt("days back", value=min(days_back.value, max_back), min=0, max=max_back, on_value=days_back.set)
    person = model.a.model.user(uid)  # a Mesa agent viewing the model's arrays
    solara.Text(
        f"user {uid}: {person.age_group.replace('_', ' ')}{', vulnerable' if person.vulnerable else ''}, "
        f"ideology {person.ideology:+.2f}, {person.followers} followers"
    )
    start, end = _window(model)
    if end > start:
        _table(_user_summary(model, uid, start, end), 1, ["feedsim-user-table"], signed=("B − A",))


@solara.component
def UserDay(model):
    update_counter.get()
    uid = _current_user(model)
    start, end = _window(model)
    if end <= start:
        solara.Text("Step the model to see this user's hours.")
        return
    hours = [side.trace.user_hours(uid, start, end) for side in model.sides]
    fig = figures.user_day(*hours, model.a.title, model.b.title)
    _figure(figures.png(fig), "feedsim-user-day")


@solara.component
def FollowNetwork(model):
    update_counter.get()
    graph = model.a.model.graph  # the same graph on both sides
    uid = _current_user(model)
    size = min(network_size.value, model.n_users - 1)
    sample = solara.use_memo(lambda: network_sample.sample(graph, uid, size), [model, uid, size])
    _heading(f"Follow network: user {uid} (ringed), accounts it follows or is followed by, and random others")
    with solara.Row():
        solara.Select(
            "colour by", values=list(NETWORK_COLOURS), value=network_colour.value, on_value=network_colour.set
        )
        solara.SliderInt(
            f"{size} users shown",
            value=size,
            min=20,
            max=min(network_sample.MAX_SAMPLE, model.n_users - 1),
            step=10,
            on_value=network_size.set,
        )
    users = sample.users
    if network_colour.value == "ideology":
        values, label, cmap, limits = (
            model.a.model.users.ideology[users],
            "ideology (left −1, right +1)",
            "coolwarm",
            (-1, 1),
        )
    else:
        change = {side.name: (side.model.wellbeing_now - side.model.wellbeing_start)[users] for side in model.sides}
        values = (
            change["B"] - change["A"] if network_colour.value.endswith("B − A") else change[network_colour.value[-1]]
        )
        bound = max(float(np.quantile(np.abs(values), 0.95)), 1e-3)
        label, cmap, limits = f"{network_colour.value} since day 0 (baseline SD)", "PuOr", (-bound, bound)
    sizes = 12 + 8 * np.log1p(model.a.model.users.followers[users])
    fig = figures.network(
        sample.positions, sample.edges, [values], [network_colour.value], label, cmap, limits, highlight=0, sizes=sizes
    )
    _figure(figures.png(fig), "feedsim-network")
    ideology = model.a.model.users.ideology
    ends = users[sample.edges] if len(sample.edges) else np.zeros((0, 2), np.int64)
    crossing = np.mean(np.sign(ideology[ends[:, 0]]) != np.sign(ideology[ends[:, 1]])) if len(ends) else 0.0
    solara.Text(
        f"Only these {size} users are laid out. {len(ends)} follows among them; "
        f"{crossing:.0%} cross the ideological divide."
    )


@solara.component
def Views(model):
    """The tabs; only the open one is drawn. Bad settings show instead, and nothing runs."""
    if model.error:
        solara.Error(f"Cannot build the model: {model.error}", classes=["feedsim-error"])
        return
    with solara.lab.Tabs(value=open_tab, lazy=True):
        with solara.lab.Tab("Difference B − A"):
            Difference(model)
        with solara.lab.Tab("Outcomes under A and B"):
            Outcomes(model)
        with solara.lab.Tab("One user"):
            UserPicker(model)
            UserDay(model)
        with solara.lab.Tab("Follow network"):
            FollowNetwork(model)


@solara.component
def Page():
    model = solara.use_reactive(solara.use_memo(PageModel, []))
    settings = solara.use_reactive({})  # the inputs' values, applied by Reset
    # Mesa's controller steps through these; the page fixes them instead of offering them as sliders:
    # a step is a whole simulated day and is drawn as soon as it is done.
    play_interval_ms = solara.use_reactive(1)
    steps_per_drawing = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    solara.Style(FIGURE_STYLE)
    solara.Title("feedsim explorer")  # the browser tab's name; Solara's own otherwise
    with solara.AppBar():
        solara.AppBarTitle("feedsim explorer")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run", classes=["feedsim-run"]):
            ModelController(
                model,
                model_parameters=settings,
                play_interval=play_interval_ms,
                render_interval=steps_per_drawing,
                use_threads=threads,
            )
            DayCounter(model.value)
            solara.HTML(tag="div", unsafe_innerHTML=RUN_HELP, style="font-size: 13px;")
        with solara.Card("Settings", classes=["feedsim-settings"]):
            ModelCreator(model, model_params, model_parameters=settings)
    Views(model.value)
