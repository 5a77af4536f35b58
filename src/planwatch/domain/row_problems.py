"""Why ingest refused a row, in Chinese, with what to do about it.

Ingest names each refused row's field and a machine-readable ``reason`` (docs/ingest.md); its
``problem`` text is English and carries the numbers. A bureau's staff read Chinese: the command
line and the portal both say a refusal with ``explain``, so the words are kept once, here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["FIELD_ZH", "STATUS_ZH", "explain", "suggest"]

FIELD_ZH = {
    "indicator_id": "指标编号",
    "jurisdiction": "地区",
    "period": "报告期",
    "value": "数值",
    "unit": "单位",
    "source": "来源",
    "comment": "备注",
    "submission_id": "提交编号",
    "body": "文件",
    "file": "文件",
    "content-type": "文件类型",
}

# What happened to a row that was kept (or would be), as ingest's ``status`` names it.
STATUS_ZH = {
    "accepted": "新数据",
    "revised": "修订",
    "duplicate": "与已报数据相同，未重复计数",
    "invalid": "有误",
}

# reason → (what is wrong, how to fix it)
_REASONS: dict[str, tuple[str, str]] = {
    "unknown_indicator": ("没有这个指标编号", "请从模板或“待报送”页面复制指标编号"),
    "jurisdiction_not_covered": ("该指标不属于这个地区", "地区留空，或填写该指标所属地区"),
    "unit_mismatch": (
        "单位与规划不一致且无法换算",
        "改用规划的单位，或可换算的单位（如万元、亿元）",
    ),
    "invalid_period": ("报告期格式不对", "填写年份，如2024；季度如2024-Q2；月份如2024-06"),
    "period_outside_plan": ("报告期不在规划覆盖的年份内", "只填报规划覆盖的年份"),
    "period_in_future": ("报告期尚未开始", "只填报已经结束或正在进行的年份"),
    "not_a_number": ("数值不是数字", "只填数字，不带单位和文字，如 12.5"),
    "not_finite": ("数值不是有效数字", "填写一个普通数字"),
    "out_of_range": ("数值超出合理范围", "核对数值：排名应为1或更大，增速应大于-100%"),
    "share_out_of_range": ("比重应在0到100之间", "以百分数填写，如 2.5 表示 2.5%"),
    "negative_count": ("个数不能为负", "填写0或正数"),
    "duplicate_row": ("与文件中另一行是同一指标、同一报告期", "删除重复的一行，只保留一个数值"),
    "missing_field": ("缺少必填内容", "填写指标编号、报告期和数值"),
    "wrong_type": ("内容类型不对", "按模板格式填写"),
    "unknown_field": ("多出了不认识的列", "使用模板的列，不要增加列"),
    "formula": ("单元格是公式", "粘贴为数值，不要使用公式"),
    "too_long": ("内容过长", "缩短这段文字"),
    "control_chars": ("含有不可见的控制字符", "重新输入这段文字"),
    "submission_id_conflict": ("提交编号已用于另一个数据", "换一个提交编号，或留空"),
    "bad_header": ("表头不对", "使用模板原有的表头，不要修改第一行"),
    "scope": ("本单位的密钥不能报送该地区的数据", "只报送本地区的数据"),
    "malformed": ("文件无法读取", "上传模板格式的 .xlsx 或 .csv 文件"),
    "encoding": ("文件编码无法识别", "另存为 UTF-8 或 GB18030 编码的 CSV，或 .xlsx"),
    "empty": ("文件中没有填写任何数据", "在“数值”列填写数据后再上传"),
    "oversized": ("文件过大或行数过多", "分成几个文件上传"),
    "unsupported_media_type": ("不支持的文件类型", "上传 .xlsx 或 .csv 文件"),
}


def explain(reason: str, field: str | None = None) -> tuple[str, str, str]:
    """(字段, 问题, 修改方法) for a refused row's ``field`` and ``reason``."""
    where = FIELD_ZH.get(field or "", field or "")
    problem, fix = _REASONS.get(reason, ("数据有误", "按模板说明修改后重新提交"))
    return where, problem, fix


def suggest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The nearest spellings of a mistyped indicator id or jurisdiction."""
    return difflib.get_close_matches(word.strip(), list(choices), n=n, cutoff=0.6)
