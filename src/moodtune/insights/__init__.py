"""Insights: the report people look at — figures with plain readings, the prior art's claims
checked with effect sizes and corrected p-values, and model cards computed when built."""

from moodtune.insights.cards import CardMetric, ModelCard
from moodtune.insights.claims import ClaimsReport, check_claims
from moodtune.insights.report import InsightsReport, ReportOptions, build_report

__all__ = [
    "CardMetric",
    "ClaimsReport",
    "InsightsReport",
    "ModelCard",
    "ReportOptions",
    "build_report",
    "check_claims",
]
