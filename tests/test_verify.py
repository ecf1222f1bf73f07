"""Reading a question and verifying a sentence against it (qa.answer.question, qa.answer.verify)."""

from __future__ import annotations

import pytest

from qa.answer.extract import Verdict, support_of
from qa.answer.messages import not_covered, not_stated
from qa.answer.question import chinese_names, focus_missing, new_names, ordinals_in, read_question
from qa.answer.sentences import SentenceCandidate
from qa.answer.units import has_unit
from qa.answer.verify import CHOICE_FEATURES, annotate, candidate_features
from qa.corpus.models import Citation, Passage
from qa.search.calibration import Calibration
from qa.search.confidence import LogisticModel
from qa.search.fusion import Fusion


@pytest.mark.parametrize(
    "question, lang, kind",
    [
        ("中国森林面积有多少公顷？", "zh", "quantity"),
        ("How many electric cars did China export in 2024?", "en", "quantity"),
        ("屈原出生于哪一年？", "zh", "year"),
        ("When did the Danube Commission move?", "en", "year"),
        ("Who invented volleyball?", "en", "name"),
        ("全国碳市场设在哪个城市？", "zh", "name"),
        ("Why do pandas move slowly?", "en", "reason"),
        ("白皮书发布的目的是什么？", "zh", "reason"),
        ("Is titanium magnetic?", "en", "yesno"),
        ("光合作用是否需要光？", "zh", "yesno"),
        ("Describe the 1+N framework.", "en", "other"),
        # A name asked as a name, or by "which" and any noun of a place or thing with a name.
        ("那艘船叫什么名字？", "zh", "name"),
        ("她是在哪个镇上出生的？", "zh", "name"),
        ("What was the name of the doctor?", "en", "name"),
        ("In which battle was he wounded?", "en", "name"),
        # 几 before any measure word asks a count of it; 几乎 ("almost") does not.
        ("医生给他缝了几针？", "zh", "quantity"),
        ("他几乎每天做什么？", "zh", "other"),
        ("哪个时候开始的？", "zh", "year"),
        ("喜马拉雅山脉横跨哪几个国家？", "zh", "name"),  # which ones, not how many
    ],
)
def test_the_kind_of_fact_asked_is_read_in_both_languages(question, lang, kind):
    assert read_question(question, lang).kind == kind


def test_units_years_and_quantity_wording_are_read():
    zh = read_question("2023年中国新能源汽车产量是多少辆？", "zh")
    assert zh.years == ("2023",) and zh.asks_output and zh.unit_words == ("辆",)
    en = read_question("How much green hydrogen did China actually produce in 2024?", "en")
    assert en.asks_output and en.years == ("2024",)
    assert not read_question("What is the production capacity of green hydrogen?", "en").asks_output
    assert read_question("What was the capacity of wind power alone?", "en").asks_part
    hectares = read_question("How many hectares of forest does China have?", "en")
    assert hectares.unit_words == ("hectares",)
    assert has_unit(hectares.units[0], "森林面积达2.3亿公顷") and has_unit(hectares.units[0], "31 million hectares")
    assert not has_unit(hectares.units[0], "forests covered 25.09 percent of China's territory")


def test_messages_name_what_is_missing_in_the_askers_language():
    zh = not_stated(read_question("中国森林面积有多少公顷？", "zh"), "zh")
    assert "公顷" in zh and zh.startswith("文档未说明")
    en = not_stated(read_question("How many electric cars did China export in 2024?", "en"), "en")
    assert "electric cars" in en and "2024" in en and en.startswith("The documents don't state")
    assert "year" in not_stated(read_question("In what year was Lang Ping born?", "en"), "en")
    assert "抱歉" in not_covered("zh") and "Sorry" in not_covered("en")


def _candidate(text: str, translation: str) -> SentenceCandidate:
    passage = Passage(
        passage_id="p.zh.1",
        doc_id="p",
        lang="zh",
        text=text,
        citation=Citation(doc_title="T", paragraph=1, label="T ¶1"),
    )
    return SentenceCandidate(passage, 0, len(text), 0, 0.8, 0.8, translation, 0.8)


def test_features_read_the_sentence_and_its_translation():
    reading = read_question("How much green hydrogen did China produce in 2024?", "en")
    weights = {"green": 1.0, "hydrogen": 2.0, "china": 0.5, "produc": 1.0, "2024": 1.5}
    capacity = _candidate(
        "截至2024年底，绿色氢能产能超15万吨/年。",
        "By the end of 2024, China led the world in the annual production capacity "
        "of green hydrogen energy – over 150,000 tonnes.",
    )
    x = candidate_features(reading, weights, ["2024"], capacity)
    assert x["year_missing"] == 0.0 and x["kind_given"] == 1.0
    assert x["cover"] > x["cover_own"]  # the English words are found in the translation
    assert x["output_conflict"] == 1.0  # a capacity, not what was produced
    other_year = candidate_features(read_question("绿氢2023年的产能是多少？", "zh"), {"绿氢": 1.0}, [], capacity)
    assert other_year["year_missing"] == 1.0


def test_a_traditional_question_is_read_like_its_simplified_twin():
    traditional = read_question("中國的風電和光伏裝機容量現在有多大？", "zh")
    simplified = read_question("中国的风电和光伏装机容量现在有多大？", "zh")
    assert traditional.kind == simplified.kind == "quantity"
    assert traditional.focus == simplified.focus == ("装机容量",)  # not the time word 现在


@pytest.mark.parametrize(
    "question, lang, kind",
    [
        ("How much does a panda cub weigh when it is born?", "en", "quantity"),
        ("When did the cub weigh how much?", "en", "year"),
        ("首次登顶的是哪几位运动员？", "zh", "name"),
        ("香港第一次举办国际龙舟赛是在哪一年？", "zh", "year"),  # 在哪 of 在哪一年 asks no place
        ("会议在哪天召开？", "zh", "year"),
        ("他是在哪所大学任教的？", "zh", "name"),
    ],
)
def test_the_first_cue_of_the_question_decides_the_kind(question, lang, kind):
    assert read_question(question, lang).kind == kind


def test_counts_and_measures_are_found_in_numerals_of_either_language():
    countries = read_question("多瑙河一共流经多少个国家？", "zh")
    assert countries.units == (("个",),) and has_unit(countries.units[0], "流经十个国家或沿其边境流过")
    assert read_question("已登记项目累计实现了多少减排量？", "zh").units == ()  # 减 is no measure word
    times = read_question("How many times can one side touch the ball?", "en")
    assert has_unit(times.units[0], "each team may touch the ball at most three times")
    instruments = read_question("How many Stradivari instruments still exist?", "en")
    assert instruments.focus == ("instrument",) and has_unit(instruments.units[0], "about 1,100 instruments")


def test_a_question_naming_a_dimension_asks_for_one_of_its_units():
    deep = read_question("How deep is the lake at its deepest point?", "en")
    assert has_unit(deep.units[0], "it reaches 1,642 metres") and not has_unit(deep.units[0], "it covers 31,500 km2")
    cost = read_question("这座大坝花了多少钱？", "zh")
    assert has_unit(cost.units[0], "总投资约2000亿元") and has_unit(cost.units[0], "it cost RMB200 billion")
    assert not has_unit(cost.units[0], "大坝设置了78道闸门")
    assert read_question("What is the boiling point of titanium?", "en").units  # a temperature
    flow = read_question("多瑙河在维也纳附近的流速是多少？", "zh")  # a speed, as "How fast does it flow?"
    assert has_unit(flow.units[0], "流速约为每秒2米") and not has_unit(flow.units[0], "流经四个国家的首都")
    assert read_question("中国森林面积有多少公顷？", "zh").units == (("公顷", "hectare"),)  # the named unit wins


def test_a_chinese_focus_word_is_partly_found_by_its_characters():
    reading = read_question("维瓦尔第在哪里教书？", "zh")
    assert reading.focus == ("教书",)
    assert focus_missing(reading, "曾在皮耶塔济贫院任教") == 0.5
    assert focus_missing(reading, "他生于威尼斯") == 1.0


def test_every_candidate_is_also_scored_against_its_rivals():
    reading = read_question("How much green hydrogen did China produce in 2024?", "en")
    weights = {"green": 1.0, "hydrogen": 2.0, "2024": 1.5}
    close = _candidate("绿色氢能产能超15万吨/年。", "the capacity of green hydrogen in 2024 was over 150,000 tonnes.")
    far = _candidate("风电装机容量超过5亿千瓦。", "wind power capacity exceeded 500 GW.")
    annotate([close, far], reading, weights, [])
    assert set(close.features) == set(far.features) == set(CHOICE_FEATURES)
    assert close.features["cover_gap"] == 0.0 and far.features["cover_gap"] < 0.0


def test_a_year_or_name_given_earlier_in_the_paragraph_is_found_in_context():
    reading = read_question("What was the premium income of green insurance in 2024?", "en")
    text = "In 2024, green loans grew fast. In the same year, premium income reached RMB333 billion."
    passage = Passage(
        passage_id="p.en.1", doc_id="p", lang="en", text=text, citation=Citation(doc_title="T", paragraph=1, label="T")
    )
    start = text.index("In the same")
    second = SentenceCandidate(passage, start, len(text), 0, 0.8, 0.8, "", 0.0)
    x = candidate_features(reading, {"premium": 1.0}, ["2024"], second)
    assert x["year_missing"] == 1.0 and x["context_missing"] == 0.0
    first = SentenceCandidate(passage, 0, start, 0, 0.8, 0.8, "", 0.0)
    assert (
        candidate_features(read_question("What happened in 2023?", "en"), {}, ["2023"], first)["context_missing"] == 1.0
    )


def test_the_counted_noun_not_a_word_that_starts_like_a_unit_is_the_measure():
    benchmarks = read_question("How many carbon-emission national metrological benchmarks have been approved?", "en")
    assert benchmarks.units == (("benchmark",),)  # not cars, for "carbon"
    products = read_question("How many eco-certified construction material products are there?", "en")
    assert has_unit(products.units[0], "the number of products with a certificate exceeded 10,000")
    assert not has_unit(products.units[0], "the number of products with a certificate grew fast")
    age = read_question("佳佳活了多少岁？", "zh")
    assert has_unit(age.units[0], "活到了38岁") and has_unit(age.units[0], "she lived to be 38 years old")


def test_ordinals_are_read_in_both_languages_and_a_different_one_conflicts():
    assert ordinals_in("the third national survey, 第二位, the 21st century") == {3, 2, 21}
    reading = read_question("How many pandas lived in the wild according to the third national survey?", "en")
    fourth = _candidate("第四次全国调查发现野外大熊猫1864只。", "The fourth national survey counted 1,864 pandas.")
    third = _candidate("第三次全国调查发现野外大熊猫1596只。", "The third national survey counted 1,596 pandas.")
    assert candidate_features(reading, {}, [], fourth)["ordinal_conflict"] == 1.0
    assert candidate_features(reading, {}, [], third)["ordinal_conflict"] == 0.0
    plain = read_question("How many pandas live in the wild?", "en")
    assert candidate_features(plain, {}, [], fourth)["ordinal_conflict"] == 0.0


def test_a_name_is_found_in_another_form_of_its_word():
    reading = read_question("How long is the Himalayan range?", "en")
    ranges = _candidate("喜马拉雅山脉长约2400公里。", "The Himalayas form an arc about 2,400 kilometres long.")
    assert candidate_features(reading, {}, ["himalayan"], ranges)["specific_missing"] == 0.0
    assert candidate_features(reading, {}, ["brahmaputra"], ranges)["specific_missing"] == 1.0


def test_a_share_asks_for_a_ratio_not_the_unit_of_what_it_is_a_share_of():
    share = read_question("自然保护地占陆域国土面积的比例是多少？", "zh")
    assert share.kind == "quantity" and share.units == () and "比例" not in share.focus
    assert read_question("What share of the floor area is energy-saving?", "en").units == ()
    assert read_question("中国森林面积有多少公顷？", "zh").units == (("公顷", "hectare"),)


def test_a_name_or_number_given_earlier_in_the_paragraph_is_not_missing():
    text = "The Himalayas are young. They began to rise about 50 million years ago."
    passage = Passage(
        passage_id="p.en.1", doc_id="p", lang="en", text=text, citation=Citation(doc_title="T", paragraph=1, label="T")
    )
    start = text.index("They")
    second = SentenceCandidate(passage, start, len(text), 0, 0.8, 0.8, "", 0.0)
    reading = read_question("About when did the Himalayas begin to form?", "en")
    assert candidate_features(reading, {}, ["himalayas"], second)["specific_missing"] == 0.0
    assert candidate_features(reading, {}, ["andes"], second)["specific_missing"] == 1.0


def test_a_consequence_marker_gives_the_reason_and_a_share_of_something_is_a_share():
    why = read_question("树叶为什么看起来是绿色的？", "zh")
    sentence = _candidate("叶绿素主要吸收蓝光和红光，反射绿光，因此叶片看上去是绿色的。", "")
    assert why.kind == "reason" and candidate_features(why, {}, [], sentence)["kind_given"] == 1.0
    assert candidate_features(why, {}, [], _candidate("叶片是绿色的。", ""))["kind_given"] == 0.0
    assert read_question("能够深度调峰的煤电机组占了多少？", "zh").units == ()  # not a depth


def _verdict(stated: float, on_topic: float) -> Verdict:
    return Verdict(_candidate("某句。", ""), 0.9, stated, {}, on_topic)


def test_a_question_off_the_documents_subject_is_never_stated():
    calibration = Calibration(
        Fusion(), verification=LogisticModel({}, 0.0, threshold=0.6), topic=LogisticModel({}, 0.0, threshold=0.5)
    )
    assert support_of(_verdict(stated=0.9, on_topic=0.8), calibration) == "stated"
    assert support_of(_verdict(stated=0.3, on_topic=0.8), calibration) == "related"
    assert support_of(_verdict(stated=0.9, on_topic=0.2), calibration) == "none"


def test_another_year_conflicts_and_figures_given_are_counted():
    reading = read_question("How many visitors came in 2019?", "en")
    other = _candidate("2018年游客达到300万人次。", "In 2018 the site drew 3 million visitors.")
    x = candidate_features(reading, {"visitor": 1.0, "2019": 1.0}, ["2019"], other)
    assert x["year_conflict"] == 1.0 and x["numbers_given"] > 0.0
    asked = _candidate("2019年游客达到320万人次。", "In 2019 the site drew 3.2 million visitors.")
    assert candidate_features(reading, {"visitor": 1.0}, ["2019"], asked)["year_conflict"] == 0.0
    none = _candidate("游客很多。", "Many visitors came.")
    assert candidate_features(reading, {"visitor": 1.0}, ["2019"], none)["numbers_given"] == 0.0


def test_a_name_is_new_only_when_the_sentence_in_the_questions_language_gives_one():
    who = read_question("卡尔文是和谁一起获得诺贝尔化学奖的？", "zh")
    alone = _candidate("卡尔文于1961年获得诺贝尔化学奖。", "Calvin received the Nobel Prize in Chemistry in 1961.")
    assert candidate_features(who, {}, [], alone)["kind_given"] == 0.0  # Calvin, Nobel: the question's own
    shared = _candidate("卡尔文与安德鲁·本森一起获奖。", "Calvin shared it with Andrew Benson.")
    assert candidate_features(who, {}, [], shared)["kind_given"] == 1.0
    city = read_question("全国碳市场设在哪个城市？", "zh")
    volume = _candidate("全国碳市场累计成交7.28亿吨。", "The National Carbon Market has traded 728 million tonnes.")
    assert candidate_features(city, {}, [], volume)["kind_given"] == 0.0
    assert (
        candidate_features(city, {}, [], _candidate("全国碳市场设在上海。", "It is based in Shanghai."))["kind_given"]
        == 1.0
    )
    english = read_question("Where is the national carbon market based?", "en")
    assert (
        candidate_features(english, {}, [], _candidate("全国碳市场设在上海。", "It is based in Shanghai."))[
            "kind_given"
        ]
        == 1.0
    )


def test_a_unit_named_at_the_end_of_an_english_question_is_the_asked_unit():
    strength = read_question("What is the tensile strength of titanium in megapascals?", "en")
    assert strength.kind == "quantity" and strength.unit_words == ("megapascals",)
    assert not has_unit(strength.units[0], "Titanium combines high strength with low density.")
    assert has_unit(strength.units[0], "钛的抗拉强度约为434兆帕。")
    assert read_question("What is the output in GW?", "en").kind == "quantity"
    assert read_question("What is the role of sugar in plants?", "en").kind == "other"  # no unit of measurement
    assert read_question("What is the national sport in Tonga?", "en").kind == "other"  # a place


def test_how_many_of_a_group_asks_a_part_and_a_total_conflicts():
    part = read_question("How many of the green data centres are in western China?", "en")
    assert part.asks_part and not read_question("How many green data centres are there?", "en").asks_part
    total = _candidate("全国共有246家绿色数据中心。", "A total of 246 data centres have been recognised as green.")
    assert candidate_features(part, {}, [], total)["part_conflict"] == 1.0


def test_a_chinese_share_question_focuses_on_the_part_it_asks_the_share_of():
    lithium = read_question("新型储能装机里锂离子电池占多大比例？", "zh")
    assert lithium.focus and all(w in "锂离子电池" for w in lithium.focus)
    assert focus_missing(lithium, "新型储能装机规模占全球总装机比例超过40%。") == 1.0
    assert focus_missing(lithium, "锂离子电池储能占新型储能装机的96%。") == 0.0


def test_a_number_inside_a_name_counts_nothing():
    built = read_question("SR-71黑鸟侦察机一共生产了多少架？", "zh")
    assert not has_unit(built.units[0], "The SR-71 Blackbird reconnaissance aircraft first flew in 1964.")
    assert has_unit(built.units[0], "共生产了32架。") and has_unit(built.units[0], "在此期间,27架服役")
    assert has_unit(built.units[0], "some 1,200 aircraft")


def test_an_alternative_question_is_answered_only_by_a_sentence_naming_a_choice():
    choice = read_question("全国碳市场的配额是免费发放还是拍卖分配？", "zh")
    assert choice.alternatives == ("发放", "拍卖")
    traded = _candidate(
        "全国碳市场配额累计成交量约7.28亿吨。", "The market has traded 728 million tonnes of allowances."
    )
    assert candidate_features(choice, {}, [], traded)["kind_given"] == 0.0
    free = _candidate("配额以免费发放为主。", "Allowances are mainly allocated free of charge.")
    assert candidate_features(choice, {}, [], free)["kind_given"] == 1.0
    assert read_question("Are the allowances given for free or auctioned?", "en").alternatives == ("free", "auction")
    assert read_question("Is titanium magnetic?", "en").alternatives == ()


def test_a_part_listed_with_another_item_conflicts_with_a_part_question():
    alone = read_question("What was the installed capacity of wind power alone?", "en")
    weights = {"instal": 1.0, "capac": 1.0, "wind": 1.0, "power": 1.0}
    both = _candidate("风电、光伏发电装机规模突破16.9亿千瓦。", "The capacity of wind and solar power passed 1,690 GW.")
    assert candidate_features(alone, weights, [], both)["part_conflict"] == 1.0
    wind = _candidate("风电装机达5.8亿千瓦。", "Wind power capacity reached 580 GW.")
    assert candidate_features(alone, weights, [], wind)["part_conflict"] == 0.0


def test_a_quoted_name_or_a_named_place_of_a_chinese_question_is_a_specific_term():
    question = "“弥赛亚”斯特拉迪瓦里琴的估价是多少美元？"
    assert chinese_names(question) == ["弥赛亚"] and chinese_names("《巴黎协定》是哪一年签署的？") == ["巴黎协定"]
    assert chinese_names("北京市的森林覆盖率是多少？") == ["北京"]  # a place named with its administrative unit
    assert chinese_names("城市轨道交通的运营总里程是多少？") == []  # 城市 is no place
    other = _candidate("“布伦特夫人”斯特拉迪瓦里琴以约1590万美元拍卖。", "The Lady Blunt sold for about $15.9 million.")
    reading = read_question(question, "zh")
    assert candidate_features(reading, {}, chinese_names(question), other)["specific_missing"] == 1.0


def test_another_form_of_a_question_word_is_no_new_name():
    captain = read_question("Who is the current captain of the Chinese women's volleyball team?", "en")
    history = _candidate("排球传入中国。", "Volleyball reached China, and the Chinese women's team became famous.")
    assert candidate_features(captain, {}, [], history)["kind_given"] == 0.0
    named = _candidate("队长是朱婷。", "The team's captain is Zhu Ting.")
    assert candidate_features(captain, {}, [], named)["kind_given"] == 1.0


def test_an_english_share_word_is_no_focus_any_ratio_answers_it():
    assert read_question("What was the share of non-fossil energy in 2022?", "en").focus == ()
    assert read_question("What share of the floor area is energy-saving?", "en").focus == ()


def test_a_count_asked_with_ji_is_looked_for_in_its_measure_word():
    reading = read_question("医生给他的手缝了几针？", "zh")
    assert reading.unit_words == ("针",)
    assert has_unit(reading.units[0], "医生给他缝了七针。")
    assert not has_unit(reading.units[0], "医生看了他的手。")


def test_a_thing_given_its_name_in_so_many_words_gives_a_name():
    asked = "What is the name of the small wooden rod inside a violin?"
    assert read_question(asked, "en").kind == "name"
    assert new_names("Inside the body, a thin wooden rod called the sound post stands upright.", asked) == 1
    assert new_names("Inside the body, a thin wooden rod stands upright.", asked) == 0
    assert new_names("孩子们管它叫“加拿大人”。", "孩子们怎么称呼那台拖拉机？", "zh") >= 1


def test_quoted_words_are_a_name_but_quoted_speech_is_not():
    asked = "那块礁石叫什么？"
    assert new_names("渔民们叫它“七神父”。", asked, "zh") >= 1
    assert new_names("“船长要在他的人之后离开，”他说。", "补给船的船长叫什么名字？", "zh") == 0
