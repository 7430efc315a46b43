"""Seeded generator of synthetic wire-story corpora with ground-truth clusters.

Benchmarks and tests need corpora of any size whose true duplicate structure is
known. Real wire traffic is mostly agency copy that outlets trim, re-lede,
restyle and wrap in site chrome, so this module imitates those operations on top
of a Zipf-distributed pseudo-language: uniform random words would make every
story trivially distinct and every method look perfect.

Records are produced in blocks of ``_BLOCK``: each block gets its own random
stream and is shuffled on its own, so memory stays flat however large ``n`` is
and the output is byte-identical for the same arguments.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["EASY", "HARD", "LAYOUTS", "Mix", "generate", "write_corpus"]

_BLOCK = 2048  # records generated and shuffled together; bounds memory
_EPOCH = 1704067200.0  # 2024-01-01T00:00:00Z: originals fall in the year after it
_YEAR = 365 * 86400.0
_TOPIC_WORDS = 14  # content words per topic
_LANGUAGES = ("en", "zh")
_SEED_MASK = (1 << 64) - 1
LAYOUTS = ("paragraphs", "flat", "sentences")
"""How a generated body is laid out (see ``generate``)."""


@dataclass(frozen=True)
class Mix:
    """Share of each kind of story in a generated corpus."""

    copies_per_original: tuple[int, int] = (0, 4)  # inclusive range, drawn per original
    partial_rewrite: float = 0.15  # chance a copy keeps only 25-35% of the wire paragraphs
    same_topic: float = 0.10  # share of originals that get a same-topic non-copy
    boilerplate: float = 0.5  # chance an outlet story carries its outlet's chrome
    write_thru: float = 0.1  # chance the agency issues an updated version
    edit_strength: float = 0.5  # 0..1, scales how many edits a copy gets

    def __post_init__(self) -> None:
        """Reject settings that would silently produce a different corpus than asked for."""
        lo, hi = self.copies_per_original
        if not 0 <= lo <= hi:
            raise ValueError(f"copies_per_original must be 0 <= lo <= hi, got {(lo, hi)}")
        for name in ("partial_rewrite", "same_topic", "boilerplate", "write_thru", "edit_strength"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")


EASY = Mix(
    copies_per_original=(0, 4),
    partial_rewrite=0.0,
    same_topic=0.0,
    boilerplate=0.1,
    write_thru=0.0,
    edit_strength=0.15,
)
HARD = Mix(
    copies_per_original=(0, 6),
    partial_rewrite=0.35,
    same_topic=0.3,
    boilerplate=0.9,
    write_thru=0.2,
    edit_strength=0.85,
)

# --------------------------------------------------------------------------- word lists


def _words(text: str) -> list[str]:
    """Whitespace-separated word list; keeps long lists readable."""
    return text.split()


_EN_FUNCTION = _words("""
the of and to a in that is was for it on with as he be at by said this had not are but from
or have an they which his were her she there been has will would their who we one all if its
more when also about than into can could after other two them some what no only new so up out
over these may then any most before first those such should through because while where
between during both under since against each many very much our us him my your you me without
however among within until although though whether across around toward upon along behind
beyond above below near off down still even yet just already again ever never often always
here now last next several few another same own every either neither nor per via despite
unless whose whom how why being did does do done made make might must shall get got well
back too less least further rather quite almost once three four five six seven eight nine ten
hundred thousand million billion percent year years week weeks month months day days today
according including told says say added amid following ahead earlier later recently expected
officials people government country city time part number report statement police public
state national local former group members part support plan team show
""")

_EN_PHRASES = (
    "according to",
    "said in a statement",
    "told reporters",
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "over the weekend",
    "last week",
    "earlier this month",
    "in an interview",
    "did not immediately respond to a request for comment",
    "a spokesperson said",
    "people familiar with the matter",
    "for the first time",
    "at least",
    "more than",
    "in recent years",
)

_EN_SUFFIXES = (
    "Herald",
    "Tribune",
    "Gazette",
    "Post",
    "Times",
    "Courier",
    "Journal",
    "Star",
    "Chronicle",
    "Observer",
    "Daily News",
    "Record",
    "Ledger",
    "Sentinel",
    "Independent",
    "Dispatch",
    "Examiner",
    "Register",
    "Press",
    "Bulletin",
)

_EN_AGENCIES = (
    ("AP", "apnews.com"),
    ("Reuters", "reuters.com"),
    ("AFP", "afp.com"),
    ("UPI", "upi.com"),
    ("dpa", "dpa-international.com"),
)

_ZH_FUNCTION = _words("""
的 了 是 在 和 有 也 不 这 中 为 对 将 与 等 以 及 但 都 就 而 被 把 从 到
向 于 其 该 此 并 还 又 已 要 会 能 可 我们 他们 表示 认为 进行 目前 今年
一个 没有 已经 以及 通过 根据 由于 因此 同时 此外 其中 方面 问题 工作
发展 记者 政府 相关 部门
""")

_ZH_CHARS = "".join(
    dict.fromkeys(
        "人民时间经济发展社会政府工作问题企业市场国家地区文化教育技术研究管理服务建设部门公司城市"
        "农村历史环境安全生活法律科学医疗卫生交通能源资源体育艺术新闻媒体网络信息数据金融银行投资"
        "贸易产业制造工业农业旅游消费价格收入就业人口家庭学校学生老师医院病人警方法院案件会议代表"
        "委员领导改革开放创新合作协议项目计划方案政策措施标准质量规模水平能力机制体系结构组织单位"
        "机构平台中心基地园区港口机场铁路公路桥梁河流湖泊山区海洋气候天气温度降雨灾害救援保护治理"
        "监督检查调查报告结果影响变化增长下降提高降低扩大减少推动促进加强完善实现保障支持参与举办"
    )
)

_ZH_PHRASES = (
    "据报道",
    "记者了解到",
    "有关负责人表示",
    "据悉",
    "值得注意的是",
    "业内人士指出",
    "截至目前",
    "与此同时",
)

_ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)

_ZH_CITIES = _words("""
北京 上海 广州 深圳 天津 重庆 成都 武汉 南京 杭州 西安 长沙 郑州 沈阳
青岛 昆明 厦门 济南 福州 合肥 南昌 太原 石家庄 哈尔滨 长春 兰州 贵阳
南宁 海口 拉萨 乌鲁木齐 呼和浩特 银川 西宁 大连 苏州
""")

_ZH_AGENCIES = (
    ("新华社", "xinhuanet.com"),
    ("中新社", "chinanews.com.cn"),
    ("路透社", "cn.reuters.com"),
    ("法新社", "afp.com"),
)

_ZH_SUFFIXES = ("日报", "晚报", "新闻网", "时报", "商报", "都市报")

_ONSETS = _words("b c d f g h j k l m n p r s t v w z br cr dr gr pr tr st sh ch th pl bl cl fl sl")
_VOWELS = _words("a e i o u a e i o ai ea ou io ee")
_CODAS = ["", "", "", "n", "r", "s", "l", "t", "m", "nd", "st", "rt", "ck", "ng"]
_SURNAME_ENDS = ("", "", "son", "ez", "ov", "ski", "ani", "elli", "berg", "ton", "ard")
_PLACE_ENDS = ("", "", "", "ville", "burg", "port", "ford", "ton", "field", "haven")
_SECTIONS = ("news", "world", "business", "politics", "national", "local", "us-news", "economy")
_SPELLING_RULES = (
    ("k", "c"),
    ("c", "k"),
    ("ph", "f"),
    ("y", "i"),
    ("i", "y"),
    ("s", "z"),
    ("ll", "l"),
    ("l", "ll"),
    ("e", "a"),
    ("o", "a"),
)
_EN_DASHES = (" - ", " -- ", "—", " – ")
_ZH_DASHES = ("—", "--", "－")

_N_SLOTS = _TOPIC_WORDS + 6  # topic words, then the topic's 3 full names and 3 surnames
_P_TEXT, _P_HEADLINE = 0.09, 0.35  # share of topic words in body text and in headlines
_P_NAMES, _P_PHRASE, _P_NUMBER = 0.03, 0.012, 0.015
_OPEN_QUOTE = re.compile(r'"(?=\w)')


@dataclass(frozen=True)
class _Style:
    """How a language writes running text."""

    joiner: str  # between words
    comma: str
    stop: str
    dash_token: str  # appended to a token to open a dash clause
    dash: str  # the dash as it appears in running text, replaced by house styles
    lead: str  # between a dateline and the text
    quote: tuple[str, str]
    said: str


_STYLES = {
    "en": _Style(" ", ",", ".", " —", " — ", " ", ('"', '"'), " said."),
    "zh": _Style("", "，", "。", "——", "——", "", ("“", "”"), "说。"),
}
_AGENCIES = {"en": _EN_AGENCIES, "zh": _ZH_AGENCIES}


@dataclass
class _Lexicon:
    """Raw word lists of a language before they are packed into a _World."""

    func: list[str]
    pseudo: list[str]
    phrases: list[str]
    full: list[str]
    surnames: list[str]
    variants: list[str]
    cities: list[str]
    spread: float  # noise when ordering pseudo-words by length


@dataclass(frozen=True, eq=False)
class _Outlet:
    """A publisher with a fixed house style and chrome, which is what makes chrome boilerplate."""

    name: str
    domain: str
    top: tuple[str, ...]  # may contain "{updated}"
    related: str
    related_after: int
    footer: tuple[str, ...]  # may contain "{year}"
    quotes: bool
    dash: str


@dataclass(frozen=True, eq=False)
class _World:
    """Everything fixed about one language: vocabulary, names, places, agencies, outlets."""

    lang: str
    tokens: np.ndarray  # object array of token strings, indexed by token id
    cdf: np.ndarray  # Zipf cumulative distribution over function + pseudo words
    n_func: int
    n_pseudo: int
    off_phrase: int
    n_phrase: int
    off_num: int
    n_num: int
    off_full: int
    off_sur: int
    n_names: int
    surnames: tuple[str, ...]
    variants: tuple[str, ...]  # a plausible misspelling of each surname
    vocab: dict[str, int]  # pseudo-word -> token id, for frequency-preserving swaps
    cities: tuple[str, ...]
    agencies: tuple[tuple[str, str], ...]
    agency_cdf: np.ndarray
    style: _Style
    slot_tokens: np.ndarray  # token id of each non-topic slot of _draw
    slot_cdf: dict[float, np.ndarray]  # per share of topic words
    outlets: tuple[_Outlet, ...]
    outlet_p: np.ndarray


@dataclass(frozen=True, eq=False)
class _Topic:
    """Vocabulary and cast shared by every story on one subject."""

    world: _World
    words: np.ndarray  # token ids of the topic's content words, most frequent first
    people: np.ndarray  # indices into the world's names
    slots: np.ndarray  # token ids filling the topic slots of _draw: words, full names, surnames
    city: str


@dataclass(eq=False)
class _Story:
    """A story before rendering; copies are made by editing these lists, not text."""

    topic: _Topic
    paras: list[list[str]]  # paragraphs as lists of sentences
    headline: str
    ts: float
    agency: int
    outlet: int  # -1 when the agency itself publishes
    city: str
    dateline: str
    chrome: bool = False
    quotes: bool = False  # apply the alternative quote style
    dash: str = ""  # replacement for the dash; "" keeps it


# --------------------------------------------------------------------------- world


def _pseudo_word(rng: np.random.Generator, syllables: int) -> str:
    parts = []
    for i in range(syllables):
        if i > 0 or rng.random() < 0.8:
            parts.append(_ONSETS[int(rng.integers(len(_ONSETS)))])
        parts.append(_VOWELS[int(rng.integers(len(_VOWELS)))])
        if i == syllables - 1 or rng.random() < 0.3:
            parts.append(_CODAS[int(rng.integers(len(_CODAS)))])
    return "".join(parts)


def _unique(make: Callable[[], str], count: int, taken: set[str]) -> list[str]:
    """Call ``make()`` until ``count`` new strings exist; ``taken`` is updated."""
    out: list[str] = []
    while len(out) < count:
        word = make()
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


def _en_variant(name: str) -> str:
    """A misspelling an outlet might print: change one letter cluster after the first letter."""
    head, tail = name[0], name[1:]
    for old, new in _SPELLING_RULES:
        at = tail.rfind(old)
        if at >= 0:
            return head + tail[:at] + new + tail[at + len(old) :]
    return name + "e"


def _numbers(rng: np.random.Generator, lang: str) -> list[str]:
    small = [str(v) for v in range(2, 100)]
    big = [f"{int(v):,}" for v in rng.integers(100, 90000, size=80)]
    dec = [f"{v:.1f}" for v in rng.uniform(0.1, 99.9, size=60)]
    years = [str(v) for v in range(2008, 2025)]
    if lang == "zh":
        big = [f"{int(v)}" for v in rng.integers(100, 90000, size=40)]
        years = [f"{v}年" for v in range(2008, 2025)]
        pct = [f"{v:.1f}%" for v in rng.uniform(0.1, 60.0, size=40)]
        wan = [f"{int(v)}万" for v in rng.integers(2, 9000, size=40)]
        return list(dict.fromkeys(small + big + dec + years + pct + wan))
    pct = [f"{v:.1f} percent" for v in rng.uniform(0.1, 60.0, size=40)]
    money = [f"${int(v)} million" for v in rng.integers(2, 900, size=40)]
    return list(dict.fromkeys(small + big + dec + years + pct + money))


def _zipf_cdf(size: int) -> np.ndarray:
    cdf = np.cumsum(1.0 / (np.arange(size) + 2.7))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


def _pick(rng: np.random.Generator, cum: tuple[float, ...]) -> int:
    """Index drawn from a small cumulative distribution (cheaper than Generator.choice)."""
    return int(np.searchsorted(cum, rng.random(), side="right"))


def _en_lexicon(rng: np.random.Generator) -> _Lexicon:
    func = list(dict.fromkeys(_EN_FUNCTION))
    taken = set(func)

    def word() -> str:
        return _pseudo_word(rng, _pick(rng, (0.25, 0.7, 0.92, 1.0)) + 1)

    def surname() -> str:
        stem = _pseudo_word(rng, int(rng.integers(1, 3)))
        return (stem + _SURNAME_ENDS[int(rng.integers(len(_SURNAME_ENDS)))]).capitalize()

    def place() -> str:
        stem = _pseudo_word(rng, int(rng.integers(1, 3)))
        return (stem + _PLACE_ENDS[int(rng.integers(len(_PLACE_ENDS)))]).capitalize()

    pseudo = _unique(word, 5000, taken)
    given = _unique(lambda: _pseudo_word(rng, int(rng.integers(2, 4))).capitalize(), 400, set())
    surnames = _unique(surname, 2000, set())
    full = [f"{given[int(rng.integers(len(given)))]} {s}" for s in surnames]
    return _Lexicon(
        func=func,
        pseudo=pseudo,
        phrases=list(_EN_PHRASES),
        full=full,
        surnames=surnames,
        variants=[_en_variant(s) for s in surnames],
        cities=_unique(place, 600, set()),
        spread=4.0,
    )


def _zh_lexicon(rng: np.random.Generator) -> _Lexicon:
    chars = _ZH_CHARS
    func = list(dict.fromkeys(_ZH_FUNCTION))

    def zh_word(length: int) -> str:
        return "".join(chars[int(i)] for i in rng.integers(len(chars), size=length))

    pseudo = _unique(lambda: zh_word(_pick(rng, (0.15, 0.8, 1.0)) + 1), 4000, set(func))
    surnames = _unique(
        lambda: (
            _ZH_SURNAMES[int(rng.integers(len(_ZH_SURNAMES)))] + zh_word(int(rng.integers(1, 3)))
        ),
        2000,
        set(func),
    )
    variants = []
    for s in surnames:
        swap = chars[int(rng.integers(len(chars)))]
        variants.append(s[:-1] + (swap if swap != s[-1] else chars[0]))
    return _Lexicon(
        func=func,
        pseudo=pseudo,
        phrases=list(_ZH_PHRASES),
        full=list(surnames),  # Chinese reports repeat the full name
        surnames=surnames,
        variants=variants,
        cities=list(_ZH_CITIES),
        spread=2.5,
    )


@functools.cache
def _world(lang: str) -> _World:
    """Build a language's fixed world; independent of the corpus seed so corpora compare."""
    if lang not in _LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose from {_LANGUAGES}")
    rng = np.random.default_rng(20240101 if lang == "en" else 20240102)
    lex = _en_lexicon(rng) if lang == "en" else _zh_lexicon(rng)
    # Frequent words are short, as in real languages: order pseudo-words by noisy length.
    order = np.argsort([len(p) for p in lex.pseudo] + rng.uniform(0, lex.spread, len(lex.pseudo)))
    pseudo = [lex.pseudo[i] for i in order]
    numbers = _numbers(rng, lang)
    n_func, n_pseudo = len(lex.func), len(pseudo)
    off_phrase = n_func + n_pseudo
    off_num = off_phrase + len(lex.phrases)
    off_full = off_num + len(numbers)
    off_sur = off_full + len(lex.full)
    tokens = np.array(lex.func + pseudo + lex.phrases + numbers + lex.full + lex.surnames, object)
    agency_w = 1.0 / (np.arange(len(_AGENCIES[lang])) + 1.0)
    fields = dict(
        lang=lang,
        tokens=tokens,
        cdf=_zipf_cdf(n_func + n_pseudo),
        n_func=n_func,
        n_pseudo=n_pseudo,
        off_phrase=off_phrase,
        n_phrase=len(lex.phrases),
        off_num=off_num,
        n_num=len(numbers),
        off_full=off_full,
        off_sur=off_sur,
        n_names=len(lex.surnames),
        surnames=tuple(lex.surnames),
        variants=tuple(lex.variants),
        vocab={p: n_func + i for i, p in enumerate(pseudo)},
        cities=tuple(lex.cities),
        agencies=_AGENCIES[lang],
        agency_cdf=np.cumsum(agency_w) / agency_w.sum(),
        style=_STYLES[lang],
        slot_tokens=np.concatenate(
            [np.zeros(_N_SLOTS, np.int64), np.arange(off_phrase, off_full), np.arange(off_phrase)]
        ),
        slot_cdf={
            p: _slot_cdf(len(lex.phrases), len(numbers), off_phrase, p)
            for p in (_P_TEXT, _P_HEADLINE)
        },
    )
    bare = _World(**fields, outlets=(), outlet_p=np.ones(1))  # outlets need words for headlines
    outlets = _make_outlets(rng, bare, 300)
    outlet_w = 1.0 / (np.arange(len(outlets)) + 10.0)
    return _World(**fields, outlets=tuple(outlets), outlet_p=outlet_w / outlet_w.sum())


def _make_outlets(rng: np.random.Generator, w: _World, count: int) -> list[_Outlet]:
    """Outlets with their own chrome, fixed per outlet so it recurs across their stories."""
    outlets: list[_Outlet] = []
    names: set[str] = set()
    while len(outlets) < count:
        if w.lang == "en":
            place = (
                _pseudo_word(rng, int(rng.integers(1, 3)))
                + _PLACE_ENDS[int(rng.integers(len(_PLACE_ENDS)))]
            ).capitalize()
            name = f"{'The ' if rng.random() < 0.3 else ''}{place} "
            name += _EN_SUFFIXES[int(rng.integers(len(_EN_SUFFIXES)))]
            domain = re.sub(r"[^a-z0-9]", "", name.lower().removeprefix("the ")) + ".com"
        else:
            place = "".join(_ZH_CHARS[int(i)] for i in rng.integers(len(_ZH_CHARS), size=2))
            name = place + _ZH_SUFFIXES[int(rng.integers(len(_ZH_SUFFIXES)))]
            domain = _pseudo_word(rng, 3) + ".cn"
        if name in names:
            continue
        names.add(name)
        links = [_headline(rng, w, None) for _ in range(3)]
        if w.lang == "en":
            top = [
                line
                for line, p in (
                    (f"Watch {name} Live", 0.7),
                    ("Updated at {updated}", 0.8),
                    ("Advertisement", 0.3),
                )
                if rng.random() < p
            ]
            header = ("Related:", "Related stories:", "Read more:", f"More from {name}:")
            related = "\n".join([header[int(rng.integers(4))]] + [f"• {h}" for h in links])
            letter = ("Morning Briefing", "Daily", "Evening Edition", "Headlines", "Weekend Read")
            footer = (
                f"Sign up for {name if name.startswith('The ') else 'the ' + name} "
                f"{letter[int(rng.integers(5))]} newsletter to get the "
                "day's top stories delivered to your inbox.",
                f"© {{year}} {name}. All rights reserved."
                if rng.random() < 0.5
                else f"Copyright {{year}} {name}. This material may not be republished.",
            )
            dash = _EN_DASHES[int(rng.integers(len(_EN_DASHES)))]
        else:
            top = [
                line
                for line, p in ((f"观看{name}直播", 0.7), ("更新时间：{updated}", 0.8))
                if rng.random() < p
            ]
            related = "\n".join(["相关阅读："] + [f"•{h}" for h in links])
            footer = (f"订阅{name}早报，每日要闻直达邮箱。", f"©{{year}}{name}版权所有")
            dash = _ZH_DASHES[int(rng.integers(len(_ZH_DASHES)))]
        outlets.append(
            _Outlet(
                name=name,
                domain=domain,
                top=tuple(top) or (name,),
                related=related,
                related_after=int(rng.integers(1, 5)) if rng.random() < 0.7 else 10**6,
                footer=footer,
                quotes=bool(rng.random() < 0.6),
                dash=dash,
            )
        )
    return outlets


@functools.lru_cache(maxsize=4096)
def _topic(seed: int, index: int, languages: tuple[str, ...]) -> _Topic:
    """Topic ``index`` of a corpus; cached because many originals share a topic."""
    rng = np.random.default_rng([seed & _SEED_MASK, 0x70F1C, index])
    w = _world(languages[index % len(languages)])  # every language gets its share of topics
    words = w.n_func + 100 + rng.choice(w.n_pseudo - 100, size=_TOPIC_WORDS, replace=False)
    people = rng.choice(w.n_names, size=3, replace=False)
    names = np.concatenate([w.off_full + people, w.off_sur + people])
    slots = np.concatenate([words, names]).astype(np.int64)
    city = w.cities[int(rng.integers(len(w.cities)))]
    return _Topic(w, slots[:_TOPIC_WORDS], people, slots, city)


# --------------------------------------------------------------------------- text


def _draw(
    rng: np.random.Generator, w: _World, topic: _Topic | None, k: int, p_topic: float
) -> np.ndarray:
    """Token ids: Zipf background with topic words, names, stock phrases and numbers mixed in.

    One uniform draw and one search per token: the mixture is a fixed distribution over
    "slots", and only the first few slots (the topic's own words and names) vary by topic.
    """
    if topic is None:
        return np.searchsorted(w.cdf, rng.random(k), side="right")
    slot = np.searchsorted(w.slot_cdf[p_topic], rng.random(k), side="right")
    ids = w.slot_tokens[slot]
    own = slot < _N_SLOTS
    ids[own] = topic.slots[slot[own]]
    return ids


def _slot_cdf(n_phrase: int, n_num: int, n_background: int, p_topic: float) -> np.ndarray:
    """Mixture over slots: topic words, topic names, stock phrases, numbers, background."""
    zipf = 1.0 / (np.arange(n_background) + 2.7)
    topic_zipf = 1.0 / np.arange(1, _TOPIC_WORDS + 1)
    parts = [
        p_topic * topic_zipf / topic_zipf.sum(),
        np.full(_N_SLOTS - _TOPIC_WORDS, _P_NAMES / (_N_SLOTS - _TOPIC_WORDS)),
        np.full(n_phrase, _P_PHRASE / n_phrase),
        np.full(n_num, _P_NUMBER / n_num),
        (1.0 - p_topic - _P_NAMES - _P_PHRASE - _P_NUMBER) * zipf / zipf.sum(),
    ]
    cdf = np.cumsum(np.concatenate(parts))
    cdf[-1] = 1.0
    return cdf


def _text(
    rng: np.random.Generator, topic: _Topic, n_words: int, quotes: float = 0.2
) -> list[list[str]]:
    """Paragraphs of 1-3 sentences of 12-30 words, about ``n_words`` words in total.

    All words of the text are drawn in one vectorised call; Python only loops over sentences.
    """
    w = topic.world
    n_words = max(n_words, 1)
    lens = rng.integers(12, 31, size=n_words // 12 + 2)
    ends = np.cumsum(lens)
    m = min(int(np.searchsorted(ends, n_words)) + 1, lens.size)
    ends = ends[:m]
    total = int(ends[-1])
    toks = w.tokens[_draw(rng, w, topic, total, _P_TEXT)]
    r = rng.random(total)
    r[ends - 1] = 1.0  # no comma or dash before the full stop
    comma = r < 0.06
    toks[comma] = toks[comma] + w.style.comma
    dash = (r >= 0.06) & (r < 0.067)
    toks[dash] = toks[dash] + w.style.dash_token
    words = toks.tolist()
    sentences = []
    start = 0
    for end in ends.tolist():
        s = w.style.joiner.join(words[start:end])
        sentences.append(s[:1].upper() + s[1:] + w.style.stop)
        start = end
    sizes = rng.integers(1, 4, size=m)
    paras: list[list[str]] = []
    at = 0
    for size in sizes.tolist():
        if at >= m:
            break
        paras.append(sentences[at : at + size])
        at += size
    q = np.flatnonzero(rng.random(len(paras)) < quotes)
    for i in q.tolist():
        p = paras[i]
        j = int(rng.integers(len(p)))
        who = w.surnames[int(topic.people[int(rng.integers(topic.people.size))])]
        p[j] = (
            w.style.quote[0]
            + p[j][: -len(w.style.stop)]
            + w.style.comma
            + w.style.quote[1]
            + w.style.joiner
            + who
            + w.style.said
        )
    return paras


def _paragraph(rng: np.random.Generator, topic: _Topic, n_words: int) -> list[str]:
    """One paragraph of new text (an outlet's own words), same topic as the story."""
    return [s for p in _text(rng, topic, n_words, quotes=0.1) for s in p]


def _headline(rng: np.random.Generator, w: _World, topic: _Topic | None) -> str:
    k = int(rng.integers(6, 12) if w.lang == "en" else rng.integers(4, 8))
    s = w.style.joiner.join(w.tokens[_draw(rng, w, topic, k, _P_HEADLINE)].tolist())
    return s[:1].upper() + s[1:]


def _words_in(w: _World, paras: list[list[str]]) -> int:
    if w.lang == "en":
        return sum(s.count(" ") + 1 for p in paras for s in p)
    return sum(len(s) for p in paras for s in p) // 2


def _dateline(w: _World, city: str, agency: int, outlet: int = -1, own: bool = False) -> str:
    """'CITY (AGENCY) —', '(OUTLET/AGENCY)' when an outlet credits itself, 'CITY —' for own copy."""
    place = city.upper() if w.lang == "en" else city
    who = w.agencies[agency][0]
    if outlet >= 0:
        who = f"{w.outlets[outlet].name}/{who}"
    if w.lang == "en":
        return f"{place} —" if own else f"{place} ({who}) —"
    return f"{place}电——" if own else f"{place}（{who}）——"


def _swap_word(rng: np.random.Generator, topic: _Topic, sentence: str) -> str:
    """Replace one content word by its frequency neighbour, like a synonym an editor picks."""
    w = topic.world
    lo, hi = w.n_func, w.n_func + w.n_pseudo
    delta = int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1)
    if w.lang == "en":
        toks = sentence.split(" ")
        for k in rng.integers(len(toks), size=4).tolist():
            core = toks[k].strip(',."“”—-')
            idx = w.vocab.get(core.lower())
            if idx is None:
                continue
            new = str(w.tokens[min(max(idx + delta, lo), hi - 1)])
            if new == core.lower():
                new = str(w.tokens[idx - delta])
            if core[:1].isupper():
                new = new.capitalize()
            toks[k] = toks[k].replace(core, new, 1)
            return " ".join(toks)
        return sentence
    for k in rng.integers(topic.words.size, size=4).tolist():
        idx = int(topic.words[k])
        old = str(w.tokens[idx])
        if old in sentence:
            return sentence.replace(old, str(w.tokens[min(max(idx + delta, lo), hi - 1)]), 1)
    return sentence


def _substitute(
    rng: np.random.Generator, topic: _Topic, paras: list[list[str]], count: int
) -> None:
    """Swap ``count`` words in place; ``paras`` must hold the copy's own sentence lists."""
    for _ in range(count):
        p = paras[int(rng.integers(len(paras)))]
        j = int(rng.integers(len(p)))
        p[j] = _swap_word(rng, topic, p[j])


def _misspell(
    topic: _Topic, person: int, paras: list[list[str]], headline: str
) -> tuple[list[list[str]], str]:
    w = topic.world
    old, new = w.surnames[person], w.variants[person]
    pattern = re.compile(rf"\b{re.escape(old)}\b") if w.lang == "en" else None

    def fix(s: str) -> str:
        if old not in s:
            return s
        return pattern.sub(new, s) if pattern is not None else s.replace(old, new)

    return [[fix(s) for s in p] for p in paras], fix(headline)


# --------------------------------------------------------------------------- stories


def _original(rng: np.random.Generator, topic: _Topic, words: int) -> _Story:
    w = topic.world
    agency = int(np.searchsorted(w.agency_cdf, rng.random(), side="right"))
    city = topic.city if rng.random() < 0.7 else w.cities[int(rng.integers(len(w.cities)))]
    return _Story(
        topic=topic,
        paras=_text(rng, topic, int(words * rng.uniform(0.75, 1.25))),
        headline=_headline(rng, w, topic),
        ts=_EPOCH + float(rng.random()) * _YEAR,
        agency=agency,
        outlet=-1,
        city=city,
        dateline=_dateline(w, city, agency),
    )


def _write_thru(rng: np.random.Generator, orig: _Story) -> _Story:
    """The agency's update: a paragraph rewritten, one or two added, often a new top."""
    topic = orig.topic
    paras = [list(p) for p in orig.paras]
    if len(paras) > 1:
        paras[int(rng.integers(1, len(paras)))] = _paragraph(rng, topic, 35)
    for _ in range(int(rng.integers(1, 3))):
        paras.insert(int(rng.integers(1, len(paras) + 1)), _paragraph(rng, topic, 35))
    if rng.random() < 0.5:
        paras.insert(0, _paragraph(rng, topic, 30))  # the old lede moves down
    headline = _headline(rng, topic.world, topic) if rng.random() < 0.5 else orig.headline
    return _Story(
        topic,
        paras,
        headline,
        orig.ts + 1200.0 + float(rng.exponential(7200.0)),
        orig.agency,
        -1,
        orig.city,
        orig.dateline,
    )


def _house_style(rng: np.random.Generator, st: _Story, mix: Mix) -> None:
    """Outlet styling and chrome; house quotes and dashes do not depend on the wording."""
    outlet = st.topic.world.outlets[st.outlet]
    if rng.random() < min(1.0, 0.2 + mix.edit_strength):
        st.quotes, st.dash = outlet.quotes, outlet.dash
    st.chrome = bool(rng.random() < mix.boilerplate)


def _copy(rng: np.random.Generator, src: _Story, outlet: int, mix: Mix) -> _Story:
    """A republished copy, edited as outlets edit wire copy; ``edit_strength`` sets how much."""
    s = mix.edit_strength
    topic = src.topic
    w = topic.world
    paras = [list(p) for p in src.paras]
    if len(paras) > 2 and rng.random() < 0.1 + 0.6 * s:  # trim from the bottom
        keep = int(np.ceil(len(paras) * rng.uniform(1.0 - 0.5 * s, 1.0)))
        paras = paras[: max(2, keep)]
    if len(paras) > 3:  # drop a few paragraphs
        for _ in range(int(rng.binomial(len(paras) - 1, 0.06 * s))):
            if len(paras) > 3:
                del paras[int(rng.integers(1, len(paras)))]
    if len(paras) > 3 and rng.random() < 0.4 * s:  # reorder: swap neighbours
        for _ in range(int(rng.integers(1, 3))):
            i = int(rng.integers(1, len(paras) - 1))
            paras[i], paras[i + 1] = paras[i + 1], paras[i]
    if len(paras) > 2 and rng.random() < 0.4 * s:  # merge two adjacent paragraphs
        i = int(rng.integers(1, len(paras) - 1))
        paras[i : i + 2] = [paras[i] + paras[i + 1]]
    if rng.random() < 0.4 * s:  # split a multi-sentence paragraph
        multi = [i for i, p in enumerate(paras) if len(p) > 1]
        if multi:
            i = multi[int(rng.integers(len(multi)))]
            cut = int(rng.integers(1, len(paras[i])))
            paras[i : i + 1] = [paras[i][:cut], paras[i][cut:]]
    if rng.random() < 0.5 * s:  # rewrite the lede
        paras[0] = _paragraph(rng, topic, int(rng.integers(20, 40)))
    if rng.random() < 0.5 * s:  # insert local paragraphs
        for _ in range(int(rng.integers(1, 4))):
            at = int(rng.integers(1, len(paras) + 1))
            paras.insert(at, _paragraph(rng, topic, int(rng.integers(25, 60))))
    _substitute(rng, topic, paras, int(rng.poisson(0.5 + 6.0 * s)))
    headline = src.headline
    if rng.random() < 0.5 * s:
        if rng.random() < 0.5:
            headline = _headline(rng, w, topic)
        else:
            headline = _swap_word(rng, topic, headline)
    if rng.random() < 0.3 * s:
        person = int(topic.people[int(rng.integers(topic.people.size))])
        paras, headline = _misspell(topic, person, paras, headline)
    u = rng.random()
    if u < 0.1 * s:
        dateline = ""
    elif u < 0.2 + 0.6 * s:
        dateline = _dateline(w, src.city, src.agency, outlet)
    else:
        dateline = src.dateline
    delay = 300.0 + min(float(rng.exponential(4 * 3600.0)), 3 * 86400.0)
    st = _Story(topic, paras, headline, src.ts + delay, src.agency, outlet, src.city, dateline)
    _house_style(rng, st, mix)
    return st


def _partial(rng: np.random.Generator, src: _Story, outlet: int, mix: Mix) -> _Story:
    """An outlet's own story built around 25-35% of the wire paragraphs plus twice as much text."""
    topic = src.topic
    w = topic.world
    n = len(src.paras)
    k = min(n, max(1, round(n * float(rng.uniform(0.25, 0.35)))))
    chosen = set(rng.choice(n, size=k, replace=False).tolist())
    total = _words_in(w, src.paras)
    # A handful of one-sentence paragraphs is not "a quarter of the story": top up by words.
    rest = [i for i in rng.permutation(n).tolist() if i not in chosen]
    # Paragraph joins break shingles, hence the allowance of 4 words per kept paragraph.
    while rest and _words_in(w, [src.paras[i] for i in chosen]) - 4 * len(chosen) < 0.25 * total:
        chosen.add(rest.pop())
    kept = [list(src.paras[i]) for i in sorted(chosen)]
    _substitute(rng, topic, kept, int(rng.poisson(0.5 + mix.edit_strength)))
    # _text rounds up to whole sentences, so aim a little low to land near twice the kept text.
    target = int(_words_in(w, kept) * rng.uniform(1.7, 2.0)) - 10
    own = _text(rng, topic, target, quotes=0.1)
    # Own lede first, then the wire passages in runs of 1-3 paragraphs among the own text.
    runs: list[list[list[str]]] = []
    while kept:
        size = int(rng.integers(1, 4))
        runs.append(kept[:size])
        kept = kept[size:]
    chunks = runs + [[p] for p in own[1:]]
    paras = own[:1]
    for i in _ordered_merge(rng, len(runs), len(own) - 1):
        paras.extend(chunks[i])
    dateline = _dateline(w, src.city, src.agency, own=True) if rng.random() < 0.5 else ""
    delay = 1800.0 + min(float(rng.exponential(8 * 3600.0)), 4 * 86400.0)
    st = _Story(
        topic,
        paras,
        _headline(rng, w, topic),
        src.ts + delay,
        src.agency,
        outlet,
        src.city,
        dateline,
    )
    _house_style(rng, st, mix)
    return st


def _ordered_merge(rng: np.random.Generator, a: int, b: int) -> list[int]:
    """A random interleaving of ``range(a)`` and ``range(a, a + b)``, each kept in order."""
    from_a = rng.permutation(np.arange(a + b) < a).tolist()
    next_a, next_b = 0, a
    out = []
    for take_a in from_a:
        if take_a:
            out.append(next_a)
            next_a += 1
        else:
            out.append(next_b)
            next_b += 1
    return out


def _same_topic(rng: np.random.Generator, orig: _Story, mix: Mix, words: int) -> _Story:
    """An independent story on the original's subject that quotes one or two of its sentences."""
    topic = orig.topic
    w = topic.world
    paras = _text(rng, topic, int(words * rng.uniform(0.75, 1.25)))
    sentences = [s for p in orig.paras for s in p]
    quoted = [s for s in sentences if s.startswith(w.style.quote[0])]
    pool = quoted if quoted and rng.random() < 0.7 else sentences
    first = pool[int(rng.integers(len(pool)))]
    shared = [first]
    second = sentences[int(rng.integers(len(sentences)))]
    # Keep the overlap to a quote or two, never a passage.
    if second != first and rng.random() < 0.4:
        n_words = _words_in(w, [[first, second]])
        if n_words <= 0.06 * _words_in(w, paras):
            shared.append(second)
    for s in shared:
        p = paras[int(rng.integers(len(paras)))]
        p.insert(int(rng.integers(len(p) + 1)), s)
    n_ag = len(w.agencies)
    ts = orig.ts + float(rng.uniform(-2.0, 2.0)) * 86400.0
    city = topic.city if rng.random() < 0.5 else w.cities[int(rng.integers(len(w.cities)))]
    headline = _headline(rng, w, topic)
    if rng.random() < 0.5:  # another agency's version
        agency = (orig.agency + 1 + int(rng.integers(n_ag - 1))) % n_ag
        return _Story(topic, paras, headline, ts, agency, -1, city, _dateline(w, city, agency))
    outlet = int(rng.choice(len(w.outlets), p=w.outlet_p))
    dateline = _dateline(w, city, orig.agency, own=True) if rng.random() < 0.5 else ""
    st = _Story(topic, paras, headline, ts, orig.agency, outlet, city, dateline)
    _house_style(rng, st, mix)
    return st


def _group(
    rng: np.random.Generator, topic: _Topic, mix: Mix, words: int
) -> tuple[list[tuple[_Story, str, int]], _Story | None]:
    """One original and everything derived from it, as (story, kind, index of its source)."""
    w = topic.world
    orig = _original(rng, topic, words)
    members: list[tuple[_Story, str, int]] = [(orig, "original", -1)]
    has_thru = rng.random() < mix.write_thru
    if has_thru:
        members.append((_write_thru(rng, orig), "write_thru", 0))
    lo, hi = mix.copies_per_original
    k = min(int(rng.integers(lo, hi + 1)), len(w.outlets))
    for outlet in rng.choice(len(w.outlets), size=k, replace=False, p=w.outlet_p).tolist():
        if rng.random() < mix.partial_rewrite:
            members.append((_partial(rng, orig, outlet, mix), "partial", 0))
        else:
            src = 1 if has_thru and rng.random() < 0.4 else 0
            members.append((_copy(rng, members[src][0], outlet, mix), "copy", src))
    other = _same_topic(rng, orig, mix, words) if rng.random() < mix.same_topic else None
    return members, other


# --------------------------------------------------------------------------- rendering


def _render(st: _Story, layout: str = "paragraphs") -> tuple[str, str, str, str, str]:
    """Text fields plus the URL minus its id: (headline, body, date, outlet, url prefix).

    ``layout`` lays the body out as paragraphs, as one block, or as a sentence a paragraph;
    the words and their order are the same in each."""
    w = st.topic.world
    if layout == "sentences":
        blocks = [list(p) for p in st.paras]
        if st.dateline:
            blocks[0][:1] = [st.dateline + w.style.lead + (blocks[0][0] if blocks[0] else "")]
    else:
        blocks = [[w.style.joiner.join(p)] for p in st.paras]
        if st.dateline:
            blocks[0][0] = st.dateline + w.style.lead + blocks[0][0]
    if st.quotes:
        if w.lang == "en":
            blocks = [[_OPEN_QUOTE.sub("“", t).replace('"', "”") for t in b] for b in blocks]
        else:
            blocks = [[t.replace("“", "「").replace("”", "」") for t in b] for b in blocks]
    if st.dash:
        blocks = [[t.replace(w.style.dash, st.dash) for t in b] for b in blocks]
    when = datetime.fromtimestamp(st.ts, timezone.utc)
    date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if w.lang == "en":
        slug = "-".join(re.findall(r"[a-z0-9]+", st.headline.lower())[:8]) + "-"
    else:
        slug = "c_"  # Chinese sites use bare numeric article ids
    if st.outlet < 0:
        name, domain = w.agencies[st.agency]
        body = _laid_out(w, blocks, layout)
        return st.headline, body, date, name, f"https://{domain}/article/{slug}"
    outlet = w.outlets[st.outlet]
    if st.chrome:
        if w.lang == "en":
            hour = when.hour % 12 or 12
            updated = f"{hour}:{when.minute:02d} {'a.m.' if when.hour < 12 else 'p.m.'}"
        else:
            updated = when.strftime("%H:%M")
        year = str(when.year)
        blocks.insert(min(outlet.related_after, len(blocks)), [outlet.related])
        blocks = (
            [[line.replace("{updated}", updated)] for line in outlet.top]
            + blocks
            + [[line.replace("{year}", year)] for line in outlet.footer]
        )
    section = _SECTIONS[int(st.ts) % len(_SECTIONS)]  # no randomness is drawn at render time
    url = f"https://www.{outlet.domain}/{section}/{when:%Y/%m/%d}/{slug}"
    return st.headline, _laid_out(w, blocks, layout), date, outlet.name, url


def _laid_out(w: _World, blocks: list[list[str]], layout: str) -> str:
    """The body from its blocks (a paragraph's text, or its sentences): blank lines between
    them, or one block, line breaks and all, with the language's word joiner."""
    pieces = [piece for block in blocks for piece in block]
    if layout == "flat":
        return w.style.joiner.join(pieces).replace("\n", w.style.joiner)
    return "\n\n".join(pieces)


# --------------------------------------------------------------------------- public API


def _check(n: int, words: int, languages: tuple[str, ...], layout: str = "paragraphs") -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if words < 1:
        raise ValueError(f"words must be >= 1, got {words}")
    if not languages or any(lang not in _LANGUAGES for lang in languages):
        raise ValueError(f"languages must be a non-empty subset of {_LANGUAGES}, got {languages}")


def _annotated(
    n: int,
    seed: int,
    mix: Mix,
    words: int,
    languages: tuple[str, ...],
    layout: str = "paragraphs",
) -> Iterator[tuple[dict[str, str], str, str | None]]:
    """Records with their provenance: (record, kind, id of the story it was derived from).

    Kinds are "original", "write_thru", "copy", "partial" and "same_topic"; tests use the
    provenance to check each kind against its source, which the labels alone cannot do.
    """
    _check(n, words, languages, layout)
    languages = tuple(languages)
    n_topics = max(len(languages), n // 50)  # about 50 stories per topic
    width = max(7, len(str(max(n - 1, 0))))
    done = block = clusters = 0
    while done < n:
        size = min(_BLOCK, n - done)
        rng = np.random.default_rng([seed & _SEED_MASK, block])
        items: list[tuple[_Story, str, int, int]] = []  # story, kind, source item, cluster
        while len(items) < size:
            topic = _topic(seed, int(rng.integers(n_topics)), languages)
            members, other = _group(rng, topic, mix, words)
            base = len(items)
            for st, kind, src in members:
                items.append((st, kind, base + src if src >= 0 else -1, clusters))
            clusters += 1
            if other is not None:
                items.append((other, "same_topic", base, clusters))
                clusters += 1
        del items[size:]  # a group cut at the block end loses only derived stories
        order = rng.permutation(size).tolist()
        digits = [""] * size
        for position, item in enumerate(order):
            digits[item] = f"{done + position:0{width}d}"
        for item in order:
            st, kind, src, cluster = items[item]
            headline, body, date, outlet, url = _render(st, layout)
            record = {
                "id": "s" + digits[item],
                "headline": headline,
                "body": body,
                "date": date,
                "outlet": outlet,
                "url": url + digits[item],
                "cluster": f"c{cluster:0{width}d}",
            }
            yield record, kind, ("s" + digits[src] if src >= 0 else None)
        done += size
        block += 1


def generate(
    n: int,
    seed: int = 0,
    mix: Mix = HARD,
    words: int = 600,
    languages: tuple[str, ...] = ("en",),
    layout: str = "paragraphs",
) -> Iterator[dict]:
    """Yield n story records: {"id", "headline", "body", "date", "outlet", "url", "cluster"}.

    Lazy and block-wise, so a million stories stream in constant memory; the same
    arguments always give the same records in the same order. ``layout`` (``LAYOUTS``)
    says how bodies are laid out: "paragraphs" as outlets publish them, "flat" as one block
    (feeds that drop paragraph breaks), "sentences" as a sentence a paragraph; the same
    arguments give the same stories, words and clusters in every layout.
    """
    for record, _kind, _source in _annotated(n, seed, mix, words, languages, layout):
        yield record


def write_corpus(
    path: str | os.PathLike,
    n: int,
    seed: int = 0,
    mix: Mix = HARD,
    words: int = 600,
    layout: str = "paragraphs",
) -> int:
    """Write JSON Lines records (without "cluster") to path and labels to path's sibling
    '<stem>.labels.jsonl' as {"id", "cluster"}; return the count. ``layout`` as in
    ``generate``.

    Labels live in a separate file so the corpus can be fed to the tool unchanged.
    """
    target = Path(path)
    labels = target.with_name(target.stem + ".labels.jsonl")
    if labels == target:
        raise ValueError(f"{target} would be overwritten by its own labels file")
    count = 0
    with (
        target.open("w", encoding="utf-8", newline="\n") as out,
        labels.open("w", encoding="utf-8", newline="\n") as lab,
    ):
        for record in generate(n, seed=seed, mix=mix, words=words, layout=layout):
            cluster = record.pop("cluster")
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            lab.write(json.dumps({"id": record["id"], "cluster": cluster}) + "\n")
            count += 1
    return count
