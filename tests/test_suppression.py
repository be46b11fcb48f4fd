from vawgstats.suppression import RATE_NOT_SHOWN, count_text, is_suppressed, rate_hidden
from vawgstats.tables import rate_text


def test_counts_below_ten_are_suppressed_in_public_only():
    assert [count_text(n, "public") for n in (0, 1, 9, 10, 1234)] == ["<10", "<10", "<10", "10", "1,234"]
    assert [count_text(n, "restricted") for n in (0, 9, 10)] == ["0", "9", "10"]
    assert count_text(None, "public") == "–"
    assert count_text(float("nan"), "public") == "–"


def test_rates_hidden_when_numerator_or_denominator_small():
    assert rate_hidden(3, 500, "public")          # the count would be recoverable from rate x denominator
    assert rate_hidden(12, 9, "public")
    assert not rate_hidden(12, 500, "public")
    assert not rate_hidden(3, 5, "restricted")
    assert rate_text(0.006, 3, 500, "public") == RATE_NOT_SHOWN
    assert rate_text(0.024, 12, 500, "public") == "2.4%"
    assert is_suppressed(9.0, "public") and not is_suppressed(10.0, "public")
