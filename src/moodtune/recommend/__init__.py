"""Recommenders: the ``Recommender`` base, survey genres, catalog tracks, journeys, learning.

Import the submodules directly (``moodtune.recommend.base``, ``.genres``, ``.tracks``,
``.filters``, ``.journey``, ``.profile_tracks``, ``.feedback``, ``.collaborative``).
"""
