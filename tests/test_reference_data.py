"""The service cards come back from the API with the values printed in the seed documents."""
import re
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def card(client, code):
    r = client.get(f"/api/v1/services/{code}")
    assert r.status_code == 200
    return r.get_json()


def normalise(text: str) -> str:
    return re.sub(r"[\s\-‐]+", " ", text.replace("’", "'").replace("ʼ", "'")).strip().lower()


@pytest.fixture(scope="module")
def source_text():
    files = sorted(SEEDS.glob("00[24]_*.txt"))
    if not files:
        pytest.skip("../shared/seeds is not beside this checkout")
    return normalise(" ".join(f.read_text(encoding="utf-8") for f in files))


def test_card_17_02_field_by_field(client):
    c = card(client, "17-02")
    assert c["name"].startswith("Надання згоди на видалення зелених насаджень")
    assert c["category"] == "land"
    assert c["provider"] == "Управління благоустрою та житлово-комунального господарства виконкому районної у місті ради"
    assert c["fee"] == {"free": True}
    assert c["term"]["value"] == 15 and c["term"]["unit"] == "working_days"
    assert len(c["documents"]) == 3 and c["documents"][1] == "схема земельної ділянки"
    assert c["result_delivery"].startswith("Особисто, через представника")


def test_card_17_38_has_the_longest_term(client):
    c = card(client, "17-38")
    assert (c["term"]["value"], c["term"]["unit"]) == (60, "calendar_days")
    assert c["card_data"]["result"] == "Рішення районної у місті ради"


def test_card_17_17_thirty_calendar_days(client):
    c = card(client, "17-17")
    assert (c["term"]["value"], c["term"]["unit"]) == (30, "calendar_days")
    assert c["category"] == "permits" and len(c["documents"]) == 1


def test_paid_card_004(client):
    c = card(client, "004-12")
    assert c["name"] == "Зняття з реєстрації місця проживання"
    fee = c["fee"]
    assert fee["free"] is False
    # Section 11.2: 0.0085 of the minimum wage, which the card fixes at 1600 UAH.
    assert fee["amount_uah"] == pytest.approx(0.0085 * 1600)
    assert "0,0085 розміру мінімальної заробітної плати" in fee["text"]
    # The information card's term is chosen over the technological card's 30 days (recorded in notes).
    assert (c["term"]["value"], c["term"]["unit"]) == (1, "working_days")
    assert any("30" in note for note in c["card_data"]["notes"])
    assert c["card_data"]["bundles"] == ["Оформлення документів спадкоємця", "Зміна місця проживання"]
    assert len(c["documents"]) == 12


def test_only_004_is_paid(client):
    services = client.get("/api/v1/services").get_json()
    paid = [s["code"] for s in services if s["code"] != "pickup" and not s["fee"]["free"]]
    assert paid == ["004-12"]


def test_names_and_documents_are_the_seeds_words(client, source_text):
    """Every card's name, and every document of three cards, is found in the source texts."""
    for s in client.get("/api/v1/services").get_json():
        if s["code"] == "pickup":
            continue
        words = normalise(re.sub(r"[()«»:,.;]", " ", s["name"])).split()
        assert all(w in source_text for w in words), s["code"]
    for code in ("17-02", "17-17", "17-38"):
        for doc in card(client, code)["documents"]:
            assert normalise(doc) in source_text, (code, doc)
