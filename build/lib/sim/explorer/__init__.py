"""The interactive explorer's model and drawing code; the page itself is ``sim/explorer/app.py``.

``settings`` turns the page's controls into Hydra overrides, ``model`` runs two scenarios with the
same seed in lockstep and keeps each user's recent hours, ``figures`` and ``network_sample`` draw
what the page shows. Nothing here changes how the simulation behaves.
"""
