"""The mood engine: the valence–arousal plane, named feelings, goals, track positions, clusters.

Import the submodules directly (``moodtune.mood.space``, ``.goals``, ``.estimator``,
``.clusters``, ``.annotate``); this package stays light so that importing it is cheap.
"""
