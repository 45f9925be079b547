"""Public datasets: a pooch-style registry with a local mirror, verification and Parquet cache."""

from moodtune.data.registry import REGISTRY, Dataset, dataset_info, fetch, load_table

__all__ = ["REGISTRY", "Dataset", "dataset_info", "fetch", "load_table"]
