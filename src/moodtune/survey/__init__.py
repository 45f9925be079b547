"""The listener survey: schema and cleaning, the shared feature pipeline, personas, effect model.

Import the submodules directly (``moodtune.survey.schema``, ``.features``, ``.personas``,
``.effect``); this package stays light so that importing it is cheap.
"""
