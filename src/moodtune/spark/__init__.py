"""Batch jobs on Apache Spark that reuse the library's own functions (``moodtune[spark]``).

* :func:`moodtune.spark.annotate.annotate_catalog` — ``moodtune spark annotate``: the catalog's
  validation, mood model, mood clusters and feature scaling over a partitioned Parquet catalog,
  through Arrow ``mapInPandas`` calling the very functions the in-process catalog uses.
* :func:`moodtune.spark.cf.train_cf` — ``moodtune spark train-cf``: implicit-feedback ALS
  (MLlib) on exported plays, evaluated with the in-process model's temporal split and metrics.
* :func:`moodtune.spark.index.build_index` — ``moodtune spark index``: the serving index
  (faiss IVF, trained on a sample, filled part file by part file), loaded memory-mapped by
  :class:`moodtune.recommend.serving_index.ServingIndex`.

pyspark is imported inside the functions that need it; without it they raise
:class:`~moodtune.spark.session.SparkUnavailableError` saying what to install.
"""

from __future__ import annotations

__all__: list[str] = []
