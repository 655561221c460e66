import pytest

from units import celsius_to_fahrenheit, fahrenheit_to_celsius, kmh_to_ms


def test_boiling_point() -> None:
    assert fahrenheit_to_celsius(212) == pytest.approx(100)


def test_freezing_point() -> None:
    assert fahrenheit_to_celsius(32) == pytest.approx(0)


def test_minus_forty_is_the_same_on_both_scales() -> None:
    assert fahrenheit_to_celsius(-40) == pytest.approx(-40)


def test_round_trip() -> None:
    assert fahrenheit_to_celsius(celsius_to_fahrenheit(21.5)) == pytest.approx(21.5)


def test_wind_speed() -> None:
    assert kmh_to_ms(36) == pytest.approx(10)
