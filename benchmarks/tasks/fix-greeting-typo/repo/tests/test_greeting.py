from greeting import farewell, greet


def test_greet_says_hello() -> None:
    assert greet("Ada") == "Hello, Ada!"


def test_farewell_is_unchanged() -> None:
    assert farewell("Ada") == "Goodbye, Ada."
