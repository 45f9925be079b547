"""Where the pages say your data is kept, in-process (``web.pages.DataPlace``, one source).

One local listener: every page keeps its words, "this machine". With accounts: no page says
"this machine"; each names the server that runs this moodtune, and the welcome, Me and the
check-in say that whoever runs it can read its database, the delete pages that its backups
keep a copy (docs/accounts.md, "What it protects, and what it does not"). The browser checks
the same on a real multi-user server in ``test_account_pages.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from moodtune.web.pages import SERVER_DATA
from tests.web.accounts_helpers import sign_up

SERVER = "the server that runs this moodtune"


def test_one_local_listener_is_told_this_machine_as_before(client: TestClient) -> None:
    said = {
        "/welcome": "Everything you enter stays on this machine, in its own database. "
        "Nothing is sent anywhere, there is no tracking",
        "/survey": "Stored only on this machine. You can change these",
    }
    for path, words in said.items():  # before anyone is set up
        text = client.get(path).text
        assert words in text, path
        assert "Your data stays on this machine." in text, path  # the footer
    made = client.post("/api/v1/listener", json={"display_name": "Ana"})
    assert made.status_code == 201, made.text
    said = {
        "/checkin": "Either way it is read, here on this machine, for signs",
        "/me": "Everything is stored on this machine only.",
        "/me/delete": "This deletes, from this machine and for good:",
    }
    for path, words in said.items():
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert words in answer.text, path
        assert SERVER not in answer.text and SERVER_DATA.who_reads not in answer.text, path
    deleted = client.post("/me/delete", data={"confirm": "yes"})
    assert deleted.status_code == 200, deleted.text
    assert "Everything moodtune stored about you is gone from this machine:" in deleted.text
    assert SERVER_DATA.backups not in deleted.text


def test_with_accounts_every_page_names_the_server_and_who_can_read_it(multi_app: Any) -> None:
    person = sign_up(multi_app, "robin")
    signup = TestClient(multi_app).get("/signup").text
    pages = {path: person.browser.get(path) for path in ("/welcome", "/checkin", "/me")}
    pages["/me/delete"] = person.browser.get("/me/delete")
    pages["deleted"] = person.form("/me/delete", {"confirm": "yes"})
    for path, answer in pages.items():
        assert answer.status_code == 200, (path, answer.text)
        assert "this machine" not in answer.text, path
        assert f"Your data stays on {SERVER}." in answer.text, path  # the footer
    texts = {path: answer.text for path, answer in pages.items()} | {"/signup": signup}
    for path in ("/signup", "/welcome", "/me"):
        assert SERVER_DATA.who_reads in texts[path], path
    assert f"Everything you enter is kept on {SERVER}. {SERVER_DATA.who_reads}" in texts["/welcome"]
    assert "Nothing is sent anywhere else" in texts["/welcome"]
    assert f"Either way it is read, on {SERVER}, for signs" in texts["/checkin"]
    assert f"This deletes, from {SERVER} and for good:" in texts["/me/delete"]
    assert f"is gone from {SERVER}:" in texts["deleted"]
    for path in ("/me/delete", "deleted"):
        assert SERVER_DATA.backups in texts[path], path
