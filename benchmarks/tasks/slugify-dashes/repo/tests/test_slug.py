import pytest

from textutil.slug import slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Many   spaces  ", "many-spaces"),
        ("C++ & Rust", "c-rust"),
        ("already-a-slug", "already-a-slug"),
        ("2024: A Year", "2024-a-year"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
