"""Numbers in news text: both conventions, dates, what a number counts."""
from __future__ import annotations

import pytest

from rag.text.numbers import counts, find_numbers, number_phrase, values


@pytest.mark.parametrize("token, expected", [
    ("4.000", {"4000", "4.0"}), ("1,400", {"1400", "1.4"}), ("49,07", {"49.07"}), ("2026", {"2026"}),
])
def test_values_reads_both_conventions(token, expected):
    assert values(token) == expected


def test_month_names_are_numbers():
    assert find_numbers("20 Januari 2026") == [("20", {"20"}), ("Januari", {"1"}), ("2026", {"2026"})]


@pytest.mark.parametrize("text, in_date", [
    ("on Monday, March 30, 2026, after", [True, True]),
    ("pada 20 Januari 2026 pukul 10", [True, True, False]),
    ("public hearings in 2023 raised", [True]),
    ("sejak tahun 1998 dan 2000 warga", [True, False]),
    ("sebanyak 2000 warga", [False]),
    ("Pada Maret, 4.000 warga mengungsi", [False]),
    ("He may 10 times", [False]),
])
def test_numbers_in_dates(text, in_date):
    assert [c.in_date for c in counts(text, "en")] == in_date


def test_what_a_number_counts():
    demak = counts("Sedikitnya 4.000 warga mengungsi dan 1.350 rumah terendam.", "id")
    assert [(c.raw, c.counts[0]) for c in demak] == [("4.000", "warga"), ("1.350", "rumah")]
    assert "home" in counts("power about 34,000 homes each year", "en")[0].counts


@pytest.mark.parametrize("raw, text, phrase", [
    ("253", "Indonesia memiliki 253 suku bangsa yang tersebar.", "253 suku bangsa"),
    ("4000", "Sedikitnya 4.000 warga mengungsi ke posko.", "4.000 warga mengungsi"),
    ("14.500", "Harga naik menjadi Rp 14.500 per kilogram.", "Rp 14.500 per kilogram"),
    ("45,9", "Partisipasi mencapai 45,9 persen dari pemilih.", "45,9 persen"),
    ("34,000", "The farm will power about 34,000 homes each year.", "34,000 homes"),
    ("2019", "Gedung itu dibangun pada 2019 lalu.", None),          # a year alone needs nothing around it
    ("2027", "Impor garam dihentikan pada akhir 2027.", "akhir 2027"),  # ... but the part of it written
    ("2027", "Imports stop by the end of 2027.", "end of 2027"),
    ("2023", "Sekolah tutup sejak 8 Oktober 2023.", "8 Oktober 2023"),  # ... and its date
    ("20", "pada 20 Januari 2026 pukul 10", None),                  # part of a date
    ("85", "The zoo houses 2,400 animals.", None),                  # not in the text
    ("155", "Ada 155 SPPG yang sudah aktif.", "155 SPPG"),          # an acronym may be what it counts
    ("7.000", "Sebanyak 7.000 peserta se-Kabupaten Bandung.", "7.000 peserta"),  # not half a compound
    ("4.000", "Sebanyak 4.000 warga Demak mengungsi.", "4.000 warga"),  # a name is not what it counts
    ("25.000", "Kami menargetkan 25.000 penumpang per hari.", "25.000 penumpang per hari"),  # not "… per"
])
def test_number_phrase_adds_currency_and_what_it_counts(raw, text, phrase):
    assert number_phrase(raw, text) == phrase
