"""The dashboard's own wording in zh-CN and en (KPI and department names come from the catalogue and data)."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Inventory performance", "sign_in": "Sign in", "sign_out": "Sign out", "username": "User name",
        "password": "Password", "bad_login": "Wrong user name or password.", "dashboard": "Dashboard",
        "people": "People", "exports": "Payroll exports", "audit": "Audit log", "kpi": "KPI", "value": "Value",
        "target": "Target", "achievement": "Achievement", "status": "Status", "met": "✔ met",
        "warning": "⚠ warning", "not_met": "✘ not met", "no_data": "– no data", "period": "Period",
        "trends": "12-month trends", "abc_xyz": "Turnover by ABC / XYZ class", "slow_movers": "Slow movers",
        "by_category": "by category", "by_age": "by age", "by_value": "by value",
        "forecast": "Forecast vs actual", "deadlines": "Upcoming deadlines", "warnings": "Open warnings",
        "adjustments": "Bonus adjustments this quarter", "findings": "Findings", "rows": "Rows behind the figure",
        "department": "Department", "employee": "Employee", "role": "Role", "manager": "Manager",
        "amount": "Amount", "share": "Share", "rule": "Rule", "reason": "Reason", "due": "Due", "state": "State",
        "none": "Nothing to show.", "download": "Download", "quarter": "Quarter", "company": "Company",
        "when": "When", "who": "Who", "action": "Action", "target_obj": "Target", "detail": "Detail",
        "forbidden": "You may not see this page.", "signed_in_as": "Signed in as", "departments": "Departments",
        "count": "Count", "stock_value": "Stock value", "actual": "Actual", "class": "Class",
        "subject": "Subject", "kind": "Kind", "not_available": "Not available yet in this installation.",
    },
    "zh-CN": {
        "title": "库存绩效", "sign_in": "登录", "sign_out": "退出", "username": "用户名", "password": "密码",
        "bad_login": "用户名或密码错误。", "dashboard": "仪表盘", "people": "人员", "exports": "薪资导出",
        "audit": "审计日志", "kpi": "指标", "value": "实际值", "target": "目标", "achievement": "达成率",
        "status": "状态", "met": "✔ 达标", "warning": "⚠ 预警", "not_met": "✘ 未达标", "no_data": "– 无数据",
        "period": "期间", "trends": "近12个月趋势", "abc_xyz": "ABC / XYZ 分类周转率", "slow_movers": "滞销品",
        "by_category": "按品类", "by_age": "按库龄", "by_value": "按金额", "forecast": "预测与实际",
        "deadlines": "即将到期", "warnings": "未关闭预警", "adjustments": "本季度奖金调整", "findings": "违规记录",
        "rows": "明细数据", "department": "部门", "employee": "员工", "role": "岗位", "manager": "主管",
        "amount": "金额", "share": "比例", "rule": "规则", "reason": "原因", "due": "截止", "state": "状态",
        "none": "暂无数据。", "download": "下载", "quarter": "季度", "company": "公司", "when": "时间",
        "who": "操作人", "action": "操作", "target_obj": "对象", "detail": "详情", "forbidden": "您无权查看此页面。",
        "signed_in_as": "当前用户", "departments": "部门", "count": "数量", "stock_value": "库存金额",
        "actual": "实际", "class": "分类", "subject": "对象", "kind": "类型", "not_available": "本安装尚未提供。",
    },
}


def translator(locale: str):
    table = TEXT.get(locale, TEXT["en"])
    return lambda key: table.get(key, key)
