"""Model cards: what each model is for, what it was fitted on, and how well it does, as data.

Every number on a card is read from an evaluation computed (or loaded from its cache) when the
card is built; the sentences around the numbers are fixed, the numbers never are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "CardMetric",
    "ModelCard",
    "effect_card",
    "genre_card",
    "learning_card",
    "mood_card",
    "persona_card",
]

CardStatus = Literal["fitted", "not yet fitted"]


@dataclass(frozen=True)
class CardMetric:
    """One measured figure, its spread, and the trivial baseline measured in the same run."""

    name: str
    value: float | None
    spread: str = ""
    baseline: str = ""
    baseline_value: float | None = None


@dataclass(frozen=True)
class ModelCard:
    """A model card (after Mitchell et al., 2019), every figure computed when built."""

    key: str
    name: str
    status: CardStatus
    summary: str
    intended_use: tuple[str, ...]
    misuse: tuple[str, ...]
    data: str
    limits: tuple[str, ...]
    metrics: tuple[CardMetric, ...]
    leaky: CardMetric | None = None
    calibration: str = ""
    improvements: tuple[str, ...] = field(default=())
    command: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spread(stat: dict[str, Any]) -> str:
    return f"±{stat['std']:.3f} SD, range {stat['min']:.3f}-{stat['max']:.3f}"


def effect_card(evaluation: dict[str, Any], *, respondents: int) -> ModelCard:
    """The "will music help?" model, from ``effect_evaluation``'s stored results."""
    protocol = evaluation["protocol"]
    selected = evaluation["selected"]
    model = evaluation["models"][selected]
    base = evaluation["baselines"]
    counts = protocol["class_counts"]
    demo = evaluation.get("leaky_demo") or {}
    bins = [b for b in model["calibration"] if b["count"]]
    worst = max(bins, key=lambda b: abs(b["observed"] - b["mean_predicted"])) if bins else None
    return ModelCard(
        key="effect",
        name="Will music help? (effect predictor)",
        status="fitted",
        summary=str(evaluation["verdict"]["sentence"]),
        intended_use=(
            "Show a listener what people who answered like them reported, as calibrated "
            "probabilities of Improve / No effect / Worsen, with the weak evidence said in words.",
        ),
        misuse=(
            "Not a clinical prediction or a reason to start, stop or change any treatment.",
            "Not for deciding whether someone should be offered music therapy.",
        ),
        data=(
            f"The MxMH survey: a self-selected online survey of {respondents} people, "
            f"{protocol['n_rows']} of whom answered 'Music effects' ("
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + "). Mostly young, Spotify-using volunteers who like music enough to answer."
        ),
        limits=(
            f"Only {counts.get('Worsen', 0)} 'Worsen' answers: that class is all but unlearnable.",
            "Self-reported, cross-sectional answers: associations, not effects.",
        ),
        metrics=(
            CardMetric(
                f"macro-F1 ({selected.replace('_', ' ')}, leak-free "
                f"{protocol['n_repeats']}x{protocol['n_splits']} CV)",
                model["macro_f1"]["mean"],
                _spread(model["macro_f1"]),
                "stratified random guess",
                base["stratified"]["macro_f1"]["mean"],
            ),
            CardMetric(
                "balanced accuracy",
                model["balanced_accuracy"]["mean"],
                _spread(model["balanced_accuracy"]),
                "majority class",
                base["majority"]["balanced_accuracy"]["mean"],
            ),
            CardMetric(
                "accuracy",
                model["accuracy"]["mean"],
                _spread(model["accuracy"]),
                "majority class",
                base["majority"]["accuracy"]["mean"],
            ),
            CardMetric(
                "Brier score (lower is better)",
                model["brier"]["mean"],
                _spread(model["brier"]),
                "class frequencies",
                base["prior"]["brier"]["mean"],
            ),
            CardMetric(
                "log-loss (lower is better)",
                model["log_loss"]["mean"],
                _spread(model["log_loss"]),
                "class frequencies",
                base["prior"]["log_loss"]["mean"],
            ),
        ),
        leaky=CardMetric(
            "macro-F1 under the prior art's leaky protocol (oversampling before the split)",
            demo["leaky"]["macro_f1"]["mean"],
            _spread(demo["leaky"]["macro_f1"]),
            "the same model, split first",
            demo["leak_free"]["macro_f1"]["mean"],
        )
        if demo
        else None,
        calibration=(
            f"Expected calibration error {model['ece']['mean']:.3f}"
            + (
                f"; the worst bin ({worst['lower']:.1f}-{worst['upper']:.1f}) predicts "
                f"{worst['mean_predicted']:.2f} where {worst['observed']:.2f} happened"
                if worst
                else ""
            )
            + "."
        ),
        improvements=(
            "More 'Worsen' answers, from a sample that is not self-selected.",
            "Repeated answers from the same people (before and after listening).",
        ),
        command="moodtune effect  (or: moodtune survey report)",
    )


def persona_card(report: dict[str, Any]) -> ModelCard:
    selection = report["k_selection"]
    stability = report["stability"]
    sizes = ", ".join(f"{p['name']} {p['size']}" for p in report["personas"])
    return ModelCard(
        key="personas",
        name="Listener personas",
        status="fitted",
        summary=f"{selection['chosen_k']} personas chosen by {selection['chosen_by']}: {sizes}.",
        intended_use=(
            "Describe groups of respondents who answered alike, and place a new "
            "listener near the people they resemble.",
        ),
        misuse=(
            "Not a diagnosis or a personality type; a persona is a summary of survey "
            "answers and says nothing certain about one person.",
        ),
        data=f"The MxMH survey: {report['n_respondents']} self-selected online respondents, "
        f"{len(report['method']['features'])} standardised features.",
        limits=(
            "Cluster structure in survey answers is weak; the silhouette says how weak.",
            "The names are generated from the traits that differ most, not from experts.",
        ),
        metrics=(
            CardMetric(
                "silhouette at the chosen k",
                selection["silhouette"][selection["k_values"].index(selection["chosen_k"])],
                "",
                "",
                None,
            ),
            CardMetric(
                "stability across seeds (mean adjusted Rand index)",
                stability["mean_ari"],
                f"min {stability['min_ari']:.3f}",
            ),
            CardMetric(
                "stability on 80% subsamples (mean adjusted Rand index)",
                stability["subsample_mean_ari"],
                f"min {stability['subsample_min_ari']:.3f}",
            ),
            CardMetric(
                "agreement of KMeans with a Gaussian mixture (adjusted Rand index)",
                selection["kmeans_vs_gmm_ari"],
            ),
        ),
        improvements=(
            "A larger, representative survey; validated scales instead of 0-10 self-ratings.",
        ),
        command="moodtune survey personas",
    )


def genre_card(result: dict[str, Any]) -> ModelCard:
    protocol = result["protocol"]
    k = protocol["k"]
    hit = f"hit_rate_at_{k}"
    ndcg = f"ndcg_at_{k}"
    metrics = result["metrics"]
    cards = []
    for name in ("hybrid", "collaborative", "content"):
        if name in metrics:
            cards.append(
                CardMetric(
                    f"{name}: hit-rate@{k}",
                    metrics[name][hit]["mean"],
                    _spread(metrics[name][hit]),
                    "popularity",
                    metrics["popularity"][hit]["mean"],
                )
            )
            cards.append(
                CardMetric(
                    f"{name}: NDCG@{k}",
                    metrics[name][ndcg]["mean"],
                    _spread(metrics[name][ndcg]),
                    "popularity",
                    metrics["popularity"][ndcg]["mean"],
                )
            )
    cards.append(
        CardMetric(
            f"random: hit-rate@{k}", metrics["random"][hit]["mean"], _spread(metrics["random"][hit])
        )
    )
    return ModelCard(
        key="genres",
        name="Genre recommenders (hybrid, collaborative, content)",
        status="fitted",
        summary=f"Ranking a respondent's hidden genres; target: {protocol['target']}.",
        intended_use=("Suggest genres to try, from how similar respondents listen.",),
        misuse=("Not a therapeutic prescription: no genre is shown to help any condition.",),
        data=f"The MxMH survey's genre frequencies ({protocol['respondents']} respondents); "
        f"{protocol['n_repeats']} random splits, {protocol['test_fraction']:.0%} held out, "
        f"{protocol['hide_fraction']:.0%} of each held-out respondent's answers hidden.",
        limits=("Sixteen broad genres; popularity alone is a strong baseline.",),
        metrics=tuple(cards),
        improvements=("Real listening histories instead of four-level frequency answers.",),
        command="moodtune survey report",
    )


def mood_card(agreement: dict[str, Any] | None, *, catalog: str, tracks: int) -> ModelCard:
    """The track mood model; "not yet fitted" until a model fitted to human ratings exists."""
    common = {
        "key": "mood",
        "name": "Track mood model (audio features → valence, arousal)",
        "intended_use": (
            "Place tracks on the valence-arousal plane so journeys can move through it gently.",
        ),
        "misuse": ("Not a judgement of how a track will make any one person feel.",),
        "improvements": (
            "Ratings of more varied music than chart pop; per-listener calibration from feedback.",
        ),
        "command": "moodtune models",
    }
    if not agreement:
        return ModelCard(
            status="not yet fitted",
            summary="No mood model fitted to human ratings exists yet, so no agreement can be "
            f"shown. The {tracks:,} tracks of '{catalog}' are placed by the documented prior "
            "weights (a linear model of audio features), which no human rating has checked.",
            data="Planned: PMEmo human valence-arousal ratings (choruses of chart-pop songs).",
            limits=("Until it is fitted, positions are a documented guess.",),
            metrics=(),
            **common,  # type: ignore[arg-type]
        )
    metrics = []
    for axis in ("valence", "arousal"):
        m = agreement.get(axis) or {}
        if "pearson_r" in m:
            metrics.append(
                CardMetric(
                    f"{axis}: Pearson r with human ratings (held out)",
                    m["pearson_r"],
                    str(m.get("spread", "")),
                )
            )
        if "mae" in m:
            metrics.append(
                CardMetric(
                    f"{axis}: mean absolute error",
                    m["mae"],
                    str(m.get("spread", "")),
                    "predicting the mean rating",
                    m.get("baseline_mae"),
                )
            )
    return ModelCard(
        status="fitted",
        summary=str(agreement.get("reading") or "Fitted to human ratings."),
        data=str(agreement.get("data") or "Human valence-arousal ratings."),
        limits=tuple(agreement.get("limits") or ("Ratings of one kind of music.",)),
        metrics=tuple(metrics),
        **common,  # type: ignore[arg-type]
    )


def learning_card(summary: dict[str, Any]) -> ModelCard:
    config = summary["config"]
    comparison = summary.get("comparison", {})
    metrics = []
    for arm in [a for a in comparison if a != "from_session"]:
        for metric in ("acceptance", "gain"):
            entry = comparison[arm][metric]
            metrics.append(
                CardMetric(
                    f"{arm.replace('_', ' ')}: {metric} minus no learning "
                    f"(sessions {comparison['from_session']}+)",
                    entry["difference"],
                    f"95% CI ±{entry['ci95']:.3f}; better in {entry['sessions_better']} "
                    f"of {entry['sessions']} sessions",
                    "no learning",
                    0.0,
                )
            )
    return ModelCard(
        key="learning",
        name="Per-listener learner (feedback → next journey)",
        status="fitted",
        summary="Learns from thumbs and skips which tracks suit one listener; measured on "
        "simulated listeners because no real listening logs exist yet.",
        intended_use=("Adapt one listener's journeys to their feedback, on their own machine.",),
        misuse=("Its simulated gains are not evidence that real listeners feel better.",),
        data=f"Simulated listeners with hidden tastes: {config['n_listeners']} listeners x "
        f"{config['n_sessions']} sessions x {len(config['seeds'])} seed(s) on the "
        f"'{summary['catalog']['name']}' catalog ({summary['catalog']['usable_tracks']:,} "
        f"usable tracks). {summary.get('source', '')}",
        limits=("The simulator's listener model decides what 'works'; real people may differ.",),
        metrics=tuple(metrics),
        improvements=("Opt-in real feedback logs; a longer run (moodtune bench learning).",),
        command="moodtune bench learning",
    )
