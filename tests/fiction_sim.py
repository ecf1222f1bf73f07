"""A long parallel story, Chinese and English, generated from translated sentence templates.

Novels are hard for a paragraph aligner in ways the white paper is not: many paragraphs are a
line of dialogue ("“好。”" / "\"All right.\""), the same short lines come back again and again,
names are transliterated (安娜 / Anna), and a chapter runs to hundreds of paragraphs, so one
early mistake can shift every link after it. `story()` writes such a text with a fixed seed:
each paragraph is one unit, Chinese and English, so the true links are known.
`tests/data/fiction/winter-station.{zh,en}.txt` are its output (`python -m tests.fiction_sim`).
"""

from __future__ import annotations

import random
from pathlib import Path

FOLDER = Path(__file__).parent / "data" / "fiction"
STEM = "winter-station"

NAMES = [
    ("安娜", "Anna"),
    ("伊万", "Ivan"),
    ("马克西姆", "Maxim"),
    ("索菲亚", "Sofia"),
    ("格里高利", "Grigory"),
    ("娜塔莎", "Natasha"),
    ("彼得", "Pyotr"),
    ("叶莲娜", "Yelena"),
    ("阿列克谢", "Alexei"),
    ("玛丽娜", "Marina"),
]
PLACES = [
    ("车站", "the station"),
    ("磨坊", "the mill"),
    ("集市", "the market"),
    ("教堂", "the church"),
    ("邮局", "the post office"),
    ("旅馆", "the inn"),
    ("学校", "the school"),
    ("面包店", "the bakery"),
    ("铁匠铺", "the smithy"),
    ("医院", "the hospital"),
]
THINGS = [
    ("那封旧信", "the old letter"),
    ("那把钥匙", "the key"),
    ("那盏煤油灯", "the kerosene lamp"),
    ("那张火车票", "the train ticket"),
    ("那本日记", "the diary"),
    ("那块怀表", "the pocket watch"),
    ("那篮苹果", "the basket of apples"),
    ("那条红围巾", "the red scarf"),
    ("那张照片", "the photograph"),
    ("那袋面粉", "the sack of flour"),
]
TIMES = [
    ("第二天早上", "the next morning"),
    ("傍晚", "in the evening"),
    ("天还没亮", "before dawn"),
    ("午饭以后", "after lunch"),
    ("星期天", "on Sunday"),
    ("半夜", "at midnight"),
    ("三天以后", "three days later"),
    ("那年冬天", "that winter"),
]
NUMBERS = [
    ("三", "three"),
    ("四", "four"),
    ("五", "five"),
    ("六", "six"),
    ("七", "seven"),
    ("八", "eight"),
    ("十", "ten"),
    ("十二", "twelve"),
]

# Lines of dialogue that recur all through a novel, word for word.
SHORT_LINES = [
    ("“好。”", '"All right."'),
    ("“嗯。”", '"Mm."'),
    ("“走吧。”", '"Let\'s go."'),
    ("“你确定吗？”", '"Are you sure?"'),
    ("“我不知道。”", '"I don\'t know."'),
    ("“为什么？”", '"Why?"'),
    ("“谢谢。”", '"Thank you."'),
    ("“不行。”", '"No."'),
    ("“再说一遍。”", '"Say that again."'),
    ("“是的。”", '"Yes."'),
    ("“等一下。”", '"Wait."'),
    ("“他走了。”", '"He\'s gone."'),
    ("“快点！”", '"Hurry!"'),
    ("“别说了。”", '"Stop."'),
]

# Dialogue with a speaker: {a}/{b} names, {p} place, {o} thing, {t} time, {n} number.
SPOKEN = [
    ("“{a}，你明天还去{p}吗？”", '"{A}, are you still going to {p} tomorrow?"'),
    ("“我在{p}见过{b}，”{a}说，“就在{t}。”", '"I saw {B} at {p}," said {A}, "{t}."'),
    ("“{o}还在{p}，”{a}说。", '"{O} is still at {p}," said {A}.'),
    ("“{b}不会回来了。”{a}低声说。", '"{B} won\'t come back," {A} said quietly.'),
    ("“你把{o}藏到哪儿去了？”{a}问{b}。", '"Where did you hide {o}?" {A} asked {B}.'),
    (
        "“火车{n}点到，”{a}看了看表，“我们还有时间。”",
        '"The train comes at {n}," {A} said, glancing at the clock. "We still have time."',
    ),
    ("“{a}！”{b}在{p}门口喊道。", '"{A}!" {B} shouted from the door of {p}.'),
    ("“我没有拿{o}，”{a}说，“你去问{b}吧。”", '"I didn\'t take {o}," said {A}. "Go and ask {B}."'),
    ("“{b}说{t}会来{p}。”", '"{B} said {t} they would come to {p}."'),
    ("{a}摇摇头：“太晚了，{p}已经关门了。”", '{A} shook their head. "It\'s too late, {p} is closed."'),
    ("“你还记得{o}吗？”{a}问。", '"Do you still remember {o}?" asked {A}.'),
    ("“我们等了{n}个小时。”", '"We waited {n} hours."'),
]

# Narration sentences; a long paragraph strings two or three of them together.
TOLD = [
    ("{T}，{a}独自去了{p}。", "{Tc}, {A} went to {p} alone."),
    ("{a}在{p}等了{n}个小时，{b}始终没有出现。", "{A} waited at {p} for {n} hours, but {B} never came."),
    (
        "{a}把{o}放在桌上，看了很久，什么也没说。",
        "{A} put {o} on the table and looked at it for a long time without a word.",
    ),
    ("{a}想起了{n}年前在{p}的那个下午。", "{A} remembered that afternoon at {p}, {n} years before."),
    (
        "那时{b}还很年轻，常常笑着讲起{o}的故事。",
        "{B} was young then, and often laughed while telling the story of {o}.",
    ),
    ("雪下了一整夜，通往{p}的路已经看不见了。", "It snowed all night, and the road to {p} could no longer be seen."),
    ("{a}沿着河岸走到{p}，一路上没有遇到任何人。", "{A} walked along the river to {p} and met no one on the way."),
    ("风很冷，{a}手里紧紧攥着{o}。", "The wind was cold, and {A} held {o} tightly."),
    ("{b}推开门，带进来一股寒气。", "{B} pushed the door open and let in a gust of cold air."),
    ("{T}，{p}里挤满了人，大家都在谈论{b}。", "{Tc}, {p} was crowded, and everyone was talking about {B}."),
    ("{a}数了数钱，一共只有{n}个卢布。", "{A} counted the money: only {n} roubles in all."),
    ("没有人知道{o}是从哪里来的。", "Nobody knew where {o} had come from."),
    ("{a}给{b}写了一封信，可是一直没有寄出去。", "{A} wrote a letter to {B} but never sent it."),
    ("炉子里的火快灭了，{a}又添了两块木头。", "The fire in the stove was dying, so {A} added two more logs."),
    ("{T}，{b}终于从{p}回来了。", "{Tc}, {B} finally came back from {p}."),
    ("{a}站在窗前，看着{b}的身影消失在雪里。", "{A} stood at the window, watching {B} disappear into the snow."),
    ("{p}的钟敲了{n}下。", "The clock at {p} struck {n}."),
    ("{a}和{b}一句话也没说，一直走到{p}。", "{A} and {B} walked all the way to {p} without a word."),
]


def _slots(rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    a, b = rng.sample(NAMES, 2)
    p, o, t, n = rng.choice(PLACES), rng.choice(THINGS), rng.choice(TIMES), rng.choice(NUMBERS)
    zh = {"a": a[0], "b": b[0], "p": p[0], "o": o[0], "t": t[0], "T": t[0], "n": n[0]}
    en = {
        "A": a[1],
        "B": b[1],
        "p": p[1],
        "o": o[1],
        "O": o[1][0].upper() + o[1][1:],
        "t": t[1],
        "Tc": t[1][0].upper() + t[1][1:],
        "n": n[1],
    }
    return zh, en


def _fill(pair: tuple[str, str], rng: random.Random) -> tuple[str, str]:
    zh, en = _slots(rng)
    return pair[0].format(**zh), pair[1].format(**en)


def story(paragraphs: int = 220, seed: int = 7) -> list[tuple[str, str]]:
    """(zh, en) paragraphs: exchanges of short recurring lines, dialogue with a speaker, and
    narration of one to three sentences."""
    rng = random.Random(seed)
    units: list[tuple[str, str]] = []
    while len(units) < paragraphs:
        kind = rng.random()
        if kind < 0.3:
            # An exchange: a few short lines in a row, the stretch where an aligner slips.
            units.extend(rng.choice(SHORT_LINES) for _ in range(rng.choice((1, 2, 3, 4))))
            continue
        if kind < 0.6:
            unit = _fill(rng.choice(SPOKEN), rng)
        else:
            parts = [_fill(rng.choice(TOLD), rng) for _ in range(rng.choice((1, 1, 2, 3)))]
            unit = ("".join(z for z, _ in parts), " ".join(e for _, e in parts))
        if unit in units and unit not in SHORT_LINES:
            continue  # a novel repeats its short lines, not its sentences
        units.append(unit)
    return units[:paragraphs]


def write_story(
    folder: Path = FOLDER, units: list[tuple[str, str]] | None = None, stem: str = STEM
) -> tuple[Path, Path]:
    """`stem.zh.txt` and `stem.en.txt`, one paragraph a line, under a title line each."""
    units = story() if units is None else units
    folder.mkdir(parents=True, exist_ok=True)
    zh = folder / f"{stem}.zh.txt"
    en = folder / f"{stem}.en.txt"
    zh.write_text("冬天的车站\n\n" + "\n".join(z for z, _ in units) + "\n", encoding="utf-8")
    en.write_text("The Winter Station\n\n" + "\n".join(e for _, e in units) + "\n", encoding="utf-8")
    return zh, en


if __name__ == "__main__":
    print(*write_story(), sep="\n")
