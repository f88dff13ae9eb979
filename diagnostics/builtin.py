"""The diagnostic templates that ship with Waypoint (written to the database by a migration).

``strategy-quick-check``: the quick strategy check a consultancy starts an engagement with, in
English and Japanese, drawn from common Japanese consulting practice (strategy before tools,
the customer journey split into measured stages, ambitious goals broken into a few KPIs with
dated milestones, outside help with clear roles, a monthly budget).
"""

BUILTIN_VERSION = 1  # raise when the content below changes: runs keep the version they used


def scale(key, text, text_ja, *, weight=1, reversed=False, required=True):
    return {
        "key": key,
        "text": text,
        "text_ja": text_ja,
        "type": "scale",
        "weight": weight,
        "reversed": reversed,
        "required": required,
    }


def yes_no(key, text, text_ja, *, weight=1, required=True):
    return {
        "key": key,
        "text": text,
        "text_ja": text_ja,
        "type": "yes_no",
        "weight": weight,
        "required": required,
    }


STRATEGY_QUICK_CHECK = {
    "key": "strategy-quick-check",
    "name": "Strategy quick check",
    "name_ja": "戦略簡易診断",
    "description": (
        "Twenty-seven questions on strategy, process, goals, the people involved and money. "
        "Answer for the business as it is today, not as it is meant to be."
    ),
    "description_ja": (
        "戦略・プロセス・目標・体制・お金についての27問です。"
        "理想ではなく、いまの事業の実態に沿って回答してください。"
    ),
    "sections": [
        {
            "key": "strategy",
            "title": "Strategy",
            "title_ja": "戦略",
            "weight": 2,
            "questions": [
                scale(
                    "customer_defined",
                    "We can say in one sentence who our customer is.",
                    "自社の顧客が誰なのかを一文で言える。",
                    weight=2,
                ),
                scale(
                    "value_defined",
                    "We know which value our customers buy from us, in their own words.",
                    "顧客が自社から何の価値を買っているのかを、顧客の言葉で把握している。",
                    weight=2,
                ),
                scale(
                    "market_view",
                    "We have looked at the market and our competitors, not only at ourselves.",
                    "自社だけでなく、市場と競合を見渡したうえで方針を決めている。",
                ),
                scale(
                    "strengths_known",
                    "We know the strengths that make us win, and the key to winning follows "
                    "from them.",
                    "勝てる理由となる自社の強みを把握し、そこから勝負のカギを導いている。",
                ),
                scale(
                    "tools_first",
                    "We usually start from a tool or tactic (social media, video, a book) "
                    "before deciding whom it serves.",
                    "誰のためかを決める前に、SNSや動画などの手段から始めることが多い。",
                    reversed=True,
                ),
                {
                    "key": "focus",
                    "text": "How many customer segments do we actively pursue right now?",
                    "text_ja": "いま積極的に狙っている顧客層はいくつですか。",
                    "type": "choice",
                    "options": [
                        {"value": "one", "label": "One", "label_ja": "1つ", "score": 0.8},
                        {
                            "value": "two_three",
                            "label": "Two or three, with one first",
                            "label_ja": "2〜3つ(優先順位あり)",
                            "score": 1,
                        },
                        {
                            "value": "many",
                            "label": "Many, all at once",
                            "label_ja": "多数を同時に",
                            "score": 0.2,
                        },
                        {
                            "value": "unclear",
                            "label": "Not decided",
                            "label_ja": "決めていない",
                            "score": 0,
                        },
                    ],
                },
                scale(
                    "time_axis",
                    "Our strategy says by when we reach where we want to be.",
                    "いつまでにあるべき姿に到達するのか、時間軸が決まっている。",
                ),
                {
                    "key": "customer_sentence",
                    "text": "Who is your customer? (one sentence, not scored)",
                    "text_ja": "あなたの顧客は誰ですか(一文で・採点対象外)",
                    "type": "text",
                    "required": False,
                },
            ],
        },
        {
            "key": "process",
            "title": "Process",
            "title_ja": "プロセス",
            "questions": [
                scale(
                    "journey_split",
                    "Our work is split into stages: encounter, contract, repeat, fan.",
                    "仕事の流れを、出会い・契約・リピート・ファン化の段階に分けている。",
                ),
                yes_no(
                    "stages_measured",
                    "We measure every journey stage, every month.",
                    "すべての段階の成果を毎月数値で測っている。",
                    weight=2,
                ),
                scale(
                    "bottleneck_known",
                    "We know which stage is our bottleneck today.",
                    "いまどの段階がボトルネックなのかを把握している。",
                    weight=2,
                ),
                scale(
                    "small_wins",
                    "We build a small success first and scale it once it works.",
                    "まず小さな成功パターンをつくり、うまくいったら広げている。",
                ),
                scale(
                    "review_rhythm",
                    "We run hypothesis, action and review in a fixed rhythm.",
                    "仮説→実行→検証を決まったリズムで回している。",
                ),
            ],
        },
        {
            "key": "goals",
            "title": "Goals and KPIs",
            "title_ja": "目標とKPI",
            "weight": 2,
            "questions": [
                scale(
                    "ambitious_kgi",
                    "Our goal (KGI) is ambitious enough that today's way of working cannot "
                    "reach it.",
                    "KGIは、いまのやり方の延長では届かないほど高く設定している。",
                ),
                yes_no(
                    "kpi_tree",
                    "The goal is broken down into a tree of KPIs that add up to it.",
                    "KGIを、積み上げると達成につながるKPIのツリーに分解している。",
                    weight=2,
                ),
                {
                    "key": "core_kpis",
                    "text": "How many KPIs does management watch every month?",
                    "text_ja": "経営として毎月見ているKPIはいくつですか。",
                    "type": "number",
                    "options": [
                        {"max": 1, "score": 0},
                        {"min": 1, "max": 4, "score": 1},
                        {"min": 4, "max": 7, "score": 0.5},
                        {"min": 7, "score": 0.2},
                    ],
                },
                yes_no(
                    "milestones_as_states",
                    "Our milestones say which KPI values we reach by which date.",
                    "マイルストーンを「いつまでにKPIがいくつ」という状態で示している。",
                ),
                yes_no(
                    "must_and_stretch",
                    "Each key number has a must-achieve and a stretch target.",
                    "主要な数値には必達目標と挑戦目標の両方がある。",
                ),
                scale(
                    "churn_under_control",
                    "Customer churn is under control.",
                    "顧客の解約(離脱)は抑えられている。",
                ),
                scale(
                    "reviews_held",
                    "We review the numbers against the plan every month or quarter.",
                    "月次または四半期ごとに、計画と実績を照らし合わせている。",
                ),
            ],
        },
        {
            "key": "organisation",
            "title": "Organisation and partners",
            "title_ja": "体制と外部パートナー",
            "questions": [
                scale(
                    "partner_roles_clear",
                    "Outside help has a clearly defined role next to our own staff.",
                    "外部人材の役割が、社内メンバーとの分担として明確に決まっている。",
                ),
                scale(
                    "sales_handed_off",
                    "Selling is handed to outsiders wholesale, and we wait for results.",
                    "営業活動を外部に丸投げし、成果だけを待っている。",
                    reversed=True,
                    weight=2,
                ),
                scale(
                    "staff_involved",
                    "Our staff take part in management decisions about the numbers.",
                    "社員が数値にもとづく経営判断に参加している。",
                ),
            ],
        },
        {
            "key": "money",
            "title": "Money",
            "title_ja": "お金",
            "questions": [
                yes_no(
                    "monthly_budget",
                    "We keep a monthly budget with the income we expect.",
                    "見込み収入を含む月次の予算を立てている。",
                    weight=2,
                ),
                yes_no(
                    "costs_split",
                    "The budget separates fixed costs, variable costs and one-off spending.",
                    "予算で固定費・変動費・一時的な支出を分けている。",
                ),
                {
                    "key": "reserve_months",
                    "text": "How many months of fixed costs could we pay from reserves?",
                    "text_ja": "手元資金で固定費を何カ月分まかなえますか。",
                    "type": "number",
                    "options": [
                        {"max": 1, "score": 0},
                        {"min": 1, "max": 3, "score": 0.4},
                        {"min": 3, "max": 6, "score": 0.8},
                        {"min": 6, "score": 1},
                    ],
                },
                yes_no(
                    "profit_expected",
                    "We know the profit we expect this year.",
                    "今年度に見込む利益額を把握している。",
                ),
            ],
        },
    ],
    "recommendations": [
        {
            "key": "start_from_the_customer",
            "priority": 1,
            "when": {"section": "strategy", "below": 60},
            "text": "Start from the customer: write down who they are and which value they buy "
            "before choosing any tool or tactic.",
            "text_ja": (
                "顧客から始めましょう。手段を選ぶ前に、"
                "顧客は誰か、どんな価値を買うのかを書き出します。"
            ),
        },
        {
            "key": "measure_the_journey",
            "priority": 1,
            "when": {"section": "process", "below": 60},
            "text": "Split the journey into stages, measure each one monthly, and work on the "
            "narrowest first.",
            "text_ja": "顧客の流れを段階に分け、毎月数値で測り、最も細い段階から手を打ちましょう。",
        },
        {
            "key": "build_the_kpi_tree",
            "priority": 1,
            "when": {"question": "kpi_tree", "answers": [False]},
            "text": "Break the goal into a KPI tree, so every number you work on adds up to it.",
            "text_ja": "KGIをKPIツリーに分解し、取り組む数値が目標に積み上がるようにしましょう。",
        },
        {
            "key": "sharpen_goals",
            "priority": 2,
            "when": {"section": "goals", "below": 60},
            "text": "Set an ambitious goal with must and stretch targets, three core KPIs and "
            "dated milestones stated as KPI values.",
            "text_ja": (
                "必達と挑戦の目標、3つの重点KPI、"
                "KPIの状態で示した期日付きのマイルストーンを設定しましょう。"
            ),
        },
        {
            "key": "stop_handing_off_sales",
            "priority": 2,
            "when": {"question": "sales_handed_off", "answers": [4, 5]},
            "text": "Keep ownership of selling: give outside help a defined part of it and work "
            "alongside them.",
            "text_ja": "営業の主導権は社内に残し、外部人材には役割を限定して協働しましょう。",
        },
        {
            "key": "involve_the_team",
            "priority": 3,
            "when": {"section": "organisation", "below": 60},
            "text": "Bring staff into the monthly review of the numbers; define what outside "
            "partners do and do not decide.",
            "text_ja": (
                "社員を毎月の数値の振り返りに参加させ、外部パートナーの判断範囲を明確にしましょう。"
            ),
        },
        {
            "key": "monthly_budget",
            "priority": 2,
            "when": {"section": "money", "below": 60},
            "text": "Keep a monthly budget with expected income, fixed and variable costs, one-off "
            "spending, a reserve and the profit you expect.",
            "text_ja": (
                "見込み収入、固定費・変動費、一時的な支出、"
                "予備費、見込み利益を含む月次予算を立てましょう。"
            ),
        },
    ],
    "contradictions": [
        {
            "key": "stages_not_measured",
            "question": "stages_measured",
            "answers": [True],
            "check": "funnel_stage_without_data",
            "severity": "high",
            "message": "The answer says every journey stage is measured monthly, but a stage has "
            "had no data for the last two months.",
            "message_ja": (
                "全段階を毎月測っているとの回答ですが、直近2カ月データのない段階があります。"
            ),
        },
        {
            "key": "churn_off_track",
            "question": "churn_under_control",
            "answers": [4, 5],
            "check": "kpi_off_track",
            "metric": "churn_rate",
            "severity": "high",
            "message": "The answer says churn is under control, but the churn rate is off track "
            "in the latest scorecard.",
            "message_ja": (
                "解約は抑えられているとの回答ですが、最新のスコアカードで解約率が未達です。"
            ),
        },
        {
            "key": "milestones_not_states",
            "question": "milestones_as_states",
            "answers": [True],
            "check": "no_state_milestones",
            "severity": "medium",
            "message": "The answer says milestones are stated as KPI values, but the plan has "
            "none that are.",
            "message_ja": (
                "マイルストーンをKPIの状態で示しているとの回答ですが、"
                "計画にはそのようなマイルストーンがありません。"
            ),
        },
        {
            "key": "no_stretch_in_plan",
            "question": "must_and_stretch",
            "answers": [True],
            "check": "no_stretch_targets",
            "severity": "low",
            "message": "The answer says every key number has a stretch target, but some KPIs in "
            "the plan have none.",
            "message_ja": (
                "主要な数値に挑戦目標があるとの回答ですが、計画には挑戦目標のないKPIがあります。"
            ),
        },
        {
            "key": "kpi_tree_missing",
            "question": "kpi_tree",
            "answers": [True],
            "check": "too_many_core_kpis",
            "severity": "medium",
            "message": "The answer says the goal is broken down into a KPI tree, but the plan "
            "has more core numbers than a tree of a few KPIs would.",
            "message_ja": (
                "KPIツリーに分解しているとの回答ですが、計画の重点指標は絞り込まれていません。"
            ),
        },
    ],
}

BUILTIN_TEMPLATES = [STRATEGY_QUICK_CHECK]


def builtin_sync(template_model) -> None:
    """Write the built-in templates at their current version (the migration calls this with its
    historical model; tests whose database was flushed call it again). Earlier versions stay,
    for the runs answered on them."""
    from diagnostics.definition import read_definition

    for document in BUILTIN_TEMPLATES:
        read_definition(document)  # a broken built-in fails loudly, at migrate time
        template_model.objects.update_or_create(
            consultancy=None,
            key=document["key"],
            version=BUILTIN_VERSION,
            defaults={
                "name": document["name"],
                "name_ja": document["name_ja"],
                "definition": document,
            },
        )
