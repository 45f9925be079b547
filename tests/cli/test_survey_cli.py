from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.cli._common import handle_errors
from moodtune.config import Settings

runner = CliRunner()


def test_survey_report_json_has_leak_free_leaky_and_baselines(settings: Settings) -> None:
    result = runner.invoke(app, ["survey", "report", "--json", "--repeats", "1", "--splits", "3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    effect = report["effect"]
    assert set(effect["baselines"]) >= {"majority", "stratified"}
    assert effect["selected"] in effect["models"]
    leaky = effect["leaky_demo"]
    assert leaky["leaky"]["macro_f1"]["mean"] > leaky["leak_free"]["macro_f1"]["mean"]
    assert report["personas"]["personas"]
    assert {"hybrid", "popularity", "random"} <= set(report["genres"]["metrics"])
    assert report["survey"]["respondents"] == 736


def test_recommend_genres_from_options_and_cold_start(settings: Settings) -> None:
    result = runner.invoke(
        app,
        [
            "recommend", "genres", "--anxiety", "7", "--depression", "3", "--insomnia", "2",
            "--ocd", "1", "--freq", "Metal=Very frequently", "--freq", "Rock=Never", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    recs = json.loads(result.stdout)["recommendations"]
    assert len(recs) == 3
    assert all(r["reason"] for r in recs)
    assert "Metal" not in [r["item"] for r in recs]
    cold = runner.invoke(
        app,
        ["recommend", "genres", "--anxiety", "1", "--depression", "1", "--insomnia", "1",
         "--ocd", "1", "--json"],
    )  # fmt: skip
    assert cold.exit_code == 0, cold.output
    assert all(r["fallback"] == "cold_start" for r in json.loads(cold.stdout)["recommendations"])


def test_persona_from_profile_file(settings: Settings, tmp_path: Path) -> None:
    profile = tmp_path / "me.json"
    profile.write_text(
        json.dumps({"anxiety": 8, "depression": 6, "insomnia": 5, "ocd": 2, "age": 22,
                    "genre_frequencies": {"Rock": "Very frequently", "Metal": "Sometimes"}})
    )  # fmt: skip
    html = tmp_path / "map.html"
    result = runner.invoke(
        app, ["persona", "--profile", str(profile), "--json", "--map-html", str(html)]
    )
    assert result.exit_code == 0, result.output
    assignment = json.loads(result.stdout)
    assert assignment["persona"] in assignment["probabilities"]
    assert sum(assignment["probabilities"].values()) == pytest.approx(1.0)
    assert "plotly" in html.read_text().lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["persona", "--anxiety", "12", "--depression", "1", "--insomnia", "1", "--ocd", "1"],
         "anxiety"),
        (["persona", "--anxiety", "1", "--depression", "1", "--insomnia", "1", "--ocd", "1",
          "--freq", "Polka=Sometimes"], "unknown genre"),
        (["persona", "--profile", "/nonexistent/me.json"], "profile file not found"),
    ],
)  # fmt: skip
def test_bad_profiles_give_clear_errors(
    settings: Settings,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.argv", ["moodtune", *args])
    code = handle_errors(app)
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["nosuchcommand"],
        ["tracks", "similar"],
        ["persona", "--anxiety", "abc", "--depression", "1", "--insomnia", "1", "--ocd", "1"],
        ["recommend", "genres", "-n", "0", "--anxiety", "1", "--depression", "1",
         "--insomnia", "1", "--ocd", "1"],
    ],
)  # fmt: skip
def test_usage_errors_exit_2_without_traceback(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["moodtune", *args])
    assert handle_errors(app) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_unreadable_profile_path_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["moodtune", "effect", "--profile", str(tmp_path), "--json"])
    assert handle_errors(app) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"]["file"] == str(tmp_path)


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from moodtune import __version__

    monkeypatch.setattr("sys.argv", ["moodtune", "--version"])
    assert handle_errors(app) == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize(("depression", "at_risk"), [(10, True), (2, False)])
def test_profile_answers_carry_crisis_resources_when_scores_signal_risk(
    settings: Settings, depression: int, at_risk: bool
) -> None:
    scores = ["--anxiety", "3", "--depression", str(depression), "--insomnia", "1", "--ocd", "0"]
    commands = (["recommend", "genres"], ["persona"], ["tracks", "for-profile", "--mood", "sad"])
    for command in commands:
        result = runner.invoke(app, [*command, *scores, "--freq", "Rock=3", "--json"])
        assert result.exit_code == 0, result.output
        safety = json.loads(result.stdout)["safety"]
        assert safety["at_risk"] is at_risk
        assert bool(safety["resources"]) is at_risk


def test_track_counts_are_bounded_before_anything_loads() -> None:
    import typing

    from typer.testing import CliRunner

    from moodtune.cli import app
    from moodtune.cli.tracks import CountOption
    from moodtune.recommend.tracks import MAX_TRACKS_PER_QUERY

    assert typing.get_args(CountOption)[1].max == MAX_TRACKS_PER_QUERY  # one bound, two places
    result = CliRunner().invoke(app, ["tracks", "mood", "calm", "-k", "1000000000"])
    assert result.exit_code == 2 and "500" in result.output


@pytest.fixture(scope="module")
def survey_services(real_settings: Settings) -> Any:
    """The application layer over the real survey (the effect model fits once: ~35 s)."""
    from moodtune.app import Services

    return Services(real_settings)


def test_effect_and_genres_answer_as_the_me_page_does(
    survey_services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moodtune.app
    from moodtune.survey.schema import Profile

    monkeypatch.setattr(moodtune.app, "Services", lambda *a, **k: survey_services)
    answers = {"anxiety": 7, "depression": 3, "insomnia": 2, "ocd": 1}
    flags = [f"--{k}={v}" for k, v in answers.items()]
    _persona, genres, effect = moodtune.app.profile_insights(
        survey_services, Profile.model_validate(answers)
    )
    assert effect is not None

    shown = runner.invoke(app, ["effect", *flags, "--json"])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    assert payload["most_likely"] == effect.most_likely
    assert {k: round(v, 4) for k, v in payload["probabilities"].items()} == effect.probabilities
    assert payload["safety"]["at_risk"] is False

    listed = runner.invoke(app, ["recommend", "genres", *flags, "--json"])
    assert listed.exit_code == 0, listed.output
    recs = json.loads(listed.stdout)["recommendations"]
    assert [r["item"] for r in recs] == [g.genre for g in genres]
    other = runner.invoke(app, ["recommend", "genres", *flags, "--method", "popularity", "--json"])
    assert other.exit_code == 0, other.output
    assert json.loads(other.stdout)["method"] == "popularity"
