import pytest

from pyslug import slugify, unique_slug


@pytest.mark.parametrize(
    "text, kwargs, want",
    [
        ("Hello, World!", {}, "hello-world"),
        ("Crème Brûlée", {}, "creme-brulee"),
        ("  --Already--slugged--  ", {}, "already-slugged"),
        ("Straße № 5", {}, "strae-no-5"),
        ("日本語", {}, ""),
        ("one two three", {"max_length": 9}, "one-two"),
        ("one two three", {"max_length": 7}, "one-two"),
        ("abcdefghij", {"max_length": 4}, "abcd"),
        ("Snake Case Please", {"separator": "_"}, "snake_case_please"),
    ],
)
def test_slugify(text, kwargs, want):
    assert slugify(text, **kwargs) == want


@pytest.mark.parametrize("kwargs", [{"max_length": 0}, {"separator": ""}, {"separator": "x"}])
def test_slugify_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        slugify("text", **kwargs)


def test_unique_slug():
    taken = {"report", "report-2"}
    assert unique_slug("Report", taken) == "report-3"
    assert unique_slug("Other", taken) == "other"
    assert unique_slug("!!!", set()) == "item"
    assert unique_slug("abcdef", {"abcdef"}, max_length=6) == "abcd-2"
