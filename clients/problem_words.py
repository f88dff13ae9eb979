"""The checkers' problems in the reader's language.

The checkers (the plan document, a measurement row, a period, a formula, an import file) are plain
Python and say what is wrong in English: the API returns that text as its contract. The
admin shows the same problems to people, and a Japanese consultant reads them in Japanese: each
known message is matched here and written again with the same details; a message this table
does not know is shown as it is (and a test lists every message the checkers can give).
"""

from __future__ import annotations

import re

PERIOD_HINT_JA = "2026-09-15、2026-W38、2026-09、2026-Q3、2026 のように書いてください"
GRANULARITIES_JA = {"day": "日", "week": "週", "month": "月", "quarter": "四半期", "year": "年"}

# (the English message as a pattern, the Japanese with the same named parts)
JAPANESE: list[tuple[str, str]] = [
    # any document
    (r"is required", "必須です"),
    (r'is required: \{"period", "value"\}', '必須です（{{"period", "value"}}）'),
    (r"must be an object", "オブジェクトにしてください"),
    (r"must be text of at most (?P<n>\d+) characters", "{n} 文字以内の文字列にしてください"),
    (r"must be a date written YYYY-MM-DD", "日付は YYYY-MM-DD で書いてください"),
    (r"must be one of (?P<choices>.+)", "次のいずれかにしてください: {choices}"),
    (r"must be true or false", "true か false にしてください"),
    (r"must be a list", "リストにしてください"),
    (r"(?P<value>.+) is used twice", "{value} が重複しています"),
    (
        r"must be letters, digits, - or _ \(a KPI key: lower-case, digits, _\)",
        "英数字・-・_ で書いてください（KPI のキーは小文字・数字・_）",
    ),
    # numbers
    (r"must be a number", "数値にしてください"),
    (r"must be a finite number", "有限の数値にしてください"),
    (r"has more than (?P<n>\d+) digits before the point", "整数部が {n} 桁を超えています"),
    (r"has more than (?P<n>\d+) digits after the point", "小数部が {n} 桁を超えています"),
    # periods
    (
        r"(?P<text>'.*') is not a period: write it as .+\.",
        "{text} は期間として読めません。" + PERIOD_HINT_JA,
    ),
    (
        r"(?P<text>'.*') is not a real (?P<granularity>\w+): write it as .+\.",
        "{text} は実在する{granularity}ではありません。" + PERIOD_HINT_JA,
    ),
    (
        r"(?P<text>'.*') is out of range: periods end by 9998\.",
        "{text} は範囲外です（9998 年まで）。",
    ),
    # the plan document
    (r"must be after starts_on", "開始日より後にしてください"),
    (r"(?P<key>'.*') is not a known metric", "{key} という指標はありません"),
    (r"must be 0 or more", "0 以上にしてください"),
    (r"must come after the baseline period", "基準期間より後にしてください"),
    (r"must be above 0 for compound interpolation", "複利で進める場合は 0 より大きくしてください"),
    (
        r"is easier than must: below it while higher is better",
        "必達より易しい目標です（高いほど良い指標なのに、必達を下回っています）",
    ),
    (
        r"is easier than must: above it while lower is better",
        "必達より易しい目標です（低いほど良い指標なのに、必達を上回っています）",
    ),
    (
        r"must be a (?P<granularity>\w+) \(the KPI's granularity\), e\.g\. (?P<example>\S+)",
        "KPI の粒度（{granularity}）の期間にしてください。例: {example}",
    ),
    (r"(?P<key>'.*') is not a KPI of this plan", "{key} はこの計画の KPI ではありません"),
    (r"makes a cycle through (?P<key>'.*')", "{key} を通じて親子関係が循環しています"),
    (
        r"names what is not a child of (?P<key>'.*'): (?P<names>.+)",
        "{key} の子ではないものを参照しています: {names}",
    ),
    (
        r"must fall within the plan \((?P<start>\S+) to (?P<end>\S+)\)",
        "計画の期間内（{start}〜{end}）にしてください",
    ),
    (
        r"a state milestone needs at least one condition",
        "状態のマイルストーンには条件が一つ以上必要です",
    ),
    (
        r"only an event milestone is marked achieved; a state milestone is judged from the data",
        "達成日を付けられるのは出来事のマイルストーンだけです。状態のマイルストーンはデータで判定します",
    ),
    (r"an event milestone has no conditions", "出来事のマイルストーンに条件は付けられません"),
    (
        r"(?P<key>'.*') is not summed, so it cannot be cumulative",
        "{key} は合計する指標ではないため、累計にできません",
    ),
    (r"a funnel needs at least two stages", "ファネルには段階が二つ以上必要です"),
    (
        r"(?P<key>'.*') is not a summed count \(a stage counts people\)",
        "{key} は合計する件数ではありません（段階は人数を数えます）",
    ),
    (
        r"the first stage has no conversion to meet",
        "最初の段階には転換率の目標を付けられません",
    ),
    (
        r"must be above 0 and at most 1 \(0\.15 = 15%\)",
        "0% より大きく 100% 以下にしてください",
    ),
    # formulas
    (r"The formula is empty\.", "計算式が空です。"),
    (
        r"Unknown metric keys in (?P<text>'.*'): (?P<keys>.+)\.",
        "{text} に不明な指標キーがあります: {keys}",
    ),
    (r"Unexpected (?P<token>'.*') in (?P<text>'.*')\.", "{text} の {token} を読めません。"),
    (r"(?P<text>'.*') ends too early\.", "{text} が途中で終わっています。"),
    (
        r"Unknown function (?P<name>'.*'): use min or max\.",
        "{name} という関数はありません。min か max を使ってください。",
    ),
    # measurement rows
    (
        r"must be an object with metric, period and value",
        "metric・period・value を持つオブジェクトにしてください",
    ),
    (r"is not a field of a measurement", "実績値の項目ではありません"),
    (
        r"(?P<key>'.*') is computed from a formula; write its inputs",
        "{key} は計算式から求める指標です。元になる指標を入力してください",
    ),
    (
        r"is a date cell; write the period as text, e\.g\. 2026-09",
        "日付のセルになっています。期間は 2026-09 のように文字列で書いてください",
    ),
    (
        r"(?P<key>\S+) for (?P<period>\S+) is already in row (?P<row>\d+)",
        "{key} の {period} は {row} 行目にもあります",
    ),
    (r"has more cells than the header names", "見出しより多くのセルがあります"),
    # import files
    (
        r"Line 1 must be the header metric,period,value\[,source\]; found (?P<found>.*)\.",
        "1 行目は見出し metric,period,value[,source] にしてください（実際: {found}）。",
    ),
    (
        r"The file is binary, not CSV text \(save it as CSV or XLSX\)\.",
        "バイナリファイルです。CSV または XLSX で保存してください。",
    ),
    (
        r"The file is neither UTF-8 nor CP932 \(Shift_JIS\) text\.",
        "UTF-8 でも CP932（Shift_JIS）でもないテキストです。",
    ),
    (r"The file is empty\.", "ファイルが空です。"),
    (r"The first sheet is empty\.", "最初のシートが空です。"),
    (
        r"The file is not a readable XLSX workbook \((?P<why>.*)\)\.",
        "XLSX として読めません（{why}）。",
    ),
]
_COMPILED = [(re.compile(pattern), japanese) for pattern, japanese in JAPANESE]
_LINE = re.compile(r"line (?P<line>\d+)(?:, (?P<field>[\w.\[\]]+))?: (?P<message>.*)", re.S)


def is_japanese(language: str | None) -> bool:
    return (language or "").lower().startswith("ja")


def problem_text(message: str, language: str | None) -> str:
    """The checker's ``message`` for a reader of ``language``."""
    if not is_japanese(language):
        return message
    for pattern, japanese in _COMPILED:
        matched = pattern.fullmatch(message)
        if matched:
            parts = matched.groupdict()
            if "granularity" in parts:
                parts["granularity"] = GRANULARITIES_JA.get(
                    parts["granularity"], parts["granularity"]
                )
            return japanese.format(**parts)
    return message


def line_problem_text(text: str, language: str | None) -> str:
    """An import's ``line 3, value: must be a number`` for a reader of ``language``."""
    matched = _LINE.fullmatch(text)
    if not is_japanese(language) or matched is None:
        return text
    where = f"{matched['line']} 行目" + (f"・{matched['field']}" if matched["field"] else "")
    return f"{where}: {problem_text(matched['message'], language)}"
