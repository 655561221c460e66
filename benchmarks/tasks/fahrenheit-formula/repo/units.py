"""Unit conversions for the weather widget."""


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return fahrenheit - 32 * 5 / 9


def kmh_to_ms(kmh: float) -> float:
    return kmh / 3.6
