"""Queries of a chosen cost: Chinese text from the demo paper cut to a number of encoder tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.conftest import paper_excerpt

CHINESE = "".join(
    re.findall(
        r"[\u4e00-\u9fff，。]", "".join(paper_excerpt("(一)推进碳达峰碳中和是必由之路", "(二)系统推进碳达峰碳中和工作"))
    )
)


def chinese_of(tokens: int, count: Callable[[str], int]) -> str:
    """The longest prefix of the paper's Chinese text that is at most `tokens` encoder tokens."""
    low, high = 1, len(CHINESE)
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if count(CHINESE[:mid]) <= tokens else (low, mid - 1)
    return CHINESE[:low]
