"""Issue 7: masks for personal data."""
import pytest

from queue_app.privacy import mask_name, mask_phone


@pytest.mark.parametrize("raw, masked", [
    ("+380671234567", "+38067***4567"), ("+38 (067) 123-45-67", "+38067***4567"), ("0671234567", "+38067***4567"), ("380671234567", "+38067***4567"),
    ("12345", "***"), (None, "—"), ("", "—")])
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize("raw, masked", [
    ("Олена Петренко", "О. П."), ("  олена   петренко ", "О. П."), ("Анна-Марія Коваль", "А.-М. К."),
    ("Ігор", "І."), ("Ґанна Їжак Євгенівна", "Ґ. Ї. Є."), (None, "—"), ("   ", "—")])
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


def test_masks_keep_nothing_that_identifies():
    assert "1234567" not in mask_phone("+380671234567")
    assert "Петренко" not in mask_name("Олена Петренко")
