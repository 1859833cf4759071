"""The catalog portal's words: Chinese first, English second."""

from __future__ import annotations

from typing import Any, Literal

Lang = Literal["zh", "en"]

LABELS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "政务数据资源目录", "not_found": "未找到", "not_found_help": "没有找到，或您无权查看：",
        "search": "目录检索", "open": "开放数据", "switch": "English",
        "q": "名称、代码、摘要或信息项", "apply": "检索", "clear": "清除筛选", "found": "条资源",
        "code": "资源代码", "name": "资源名称", "unit": "提供单位", "catalog": "目录类型", "domain": "所属领域",
        "share_type": "共享类型", "update_cycle": "更新周期", "mounted": "已挂接", "fresh": "时效",
        "status": "状态", "version": "版本", "versions": "版本与变更", "valid_from": "生效时间", "changed": "变更内容",
        "first_version": "初始版本", "mount": "挂接方式", "last_update": "最近更新", "stale_at": "过期时间",
        "feeds": "资源关联", "gathers": "汇聚的部门资源", "gathered_by": "被以下基础/主题资源汇聚",
        "same_data": "经确认的同一数据（一数一源）", "authoritative": "权威来源", "none": "无",
        "request": "申请共享", "request_help": "在共享交换平台提交共享申请（填写用途后提交）",
        "own": "本单位资源：请在交换平台管理订阅", "not_shared": "不予共享，不能申请",
        "usage": "使用情况", "subscribers": "订阅单位", "ratings": "评价", "quality": "质量", "timeliness": "及时性",
        "usefulness": "有用性",
        "review": "审核记录", "subjects": {"publication": "发布申请", "change": "变更申请"},
        "decisions": {"open": "待审核", "approved": "已通过", "returned": "已退回"}, "notice_until": "公示至",
        "unit_page": "单位目录", "requirements": "目录编制任务", "batch": "批次",
        "deadline": "截止日期", "required": "应编目", "published": "已发布", "missing": "未挂接",
        "days_left": "剩余工作日", "overdue": "已逾期", "login": "登录", "logout": "退出",
        "login_help": "目录门户需要令牌（部门、运营、审计）。运行 hub token 生成后粘贴：", "token": "令牌",
        "bad_token": "令牌无效、已过期或无权查看目录门户。",
        "open_help": "以下资源向社会开放，无需登录即可查看和下载目录。",
        "download": "下载", "no_results": "没有符合条件的资源",
        "values": {
            "catalog": {"base": "基础", "theme": "主题", "department": "部门"},
            "share_type": {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"},
            "update_cycle": {"realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月",
                             "quarterly": "每季度", "yearly": "每年"},
            "mounted": {"yes": "已挂接", "no": "未挂接"},
            "fresh": {"fresh": "及时", "stale": "已过期", "unmounted": "未挂接"},
            "status": {"draft": "草稿", "submitted": "审核中", "returned": "已退回", "in_notice": "公示中",
                       "published": "已发布"},
            "mount": {"table": "库表", "file": "文件", "api": "接口"},
            "open_type": {"open": "开放", "conditional": "有条件开放", "not_open": "不开放"},
        },
    },
    "en": {
        "title": "Government data resource catalog", "not_found": "Not found",
        "not_found_help": "Nothing here, or nothing you may see:", "search": "Search", "open": "Open data",
        "switch": "中文",
        "q": "name, code, summary or item", "apply": "Search", "clear": "Clear filters", "found": "resources",
        "code": "Code", "name": "Name", "unit": "Provider", "catalog": "Catalog", "domain": "Domain",
        "share_type": "Share type", "update_cycle": "Update cycle", "mounted": "Mounted", "fresh": "Freshness",
        "status": "Status", "version": "Version", "versions": "Versions and changes", "valid_from": "In effect from",
        "changed": "Changes", "first_version": "first version", "mount": "Mounted as", "last_update": "Last update",
        "stale_at": "Stale at", "feeds": "Links", "gathers": "Department resources it gathers",
        "gathered_by": "Gathered by these base/theme resources", "same_data": "Confirmed as the same data",
        "authoritative": "authoritative", "none": "none", "request": "Request access",
        "request_help": "File an access request on the exchange (state the purpose, submit)",
        "own": "Your unit's resource: manage subscriptions on the exchange", "not_shared": "Not shared",
        "usage": "Use", "subscribers": "Subscribed units", "ratings": "Ratings", "quality": "quality",
        "timeliness": "timeliness", "usefulness": "usefulness",
        "review": "Reviews", "subjects": {"publication": "publication", "change": "change"},
        "decisions": {"open": "awaiting the bureau", "approved": "approved", "returned": "returned"},
        "notice_until": "public notice until", "unit_page": "Unit catalog", "requirements": "Cataloguing requirements",
        "batch": "Batch", "deadline": "Deadline", "required": "Required", "published": "Published",
        "missing": "Not mounted", "days_left": "Working days left", "overdue": "overdue", "login": "Sign in",
        "logout": "Sign out", "login_help": "The portal needs a token (department, operator, auditor). Paste one "
        "made by hub token:", "token": "Token", "bad_token": "The token is invalid, expired or may not see the "
        "portal.", "open_help": "These resources are open to the public: no sign-in needed.", "download": "Download",
        "no_results": "No resource matches",
        "values": {
            "catalog": {"base": "base", "theme": "theme", "department": "department"},
            "share_type": {"unconditional": "unconditional", "conditional": "conditional", "not_shared": "not shared"},
            "update_cycle": {"realtime": "real time", "daily": "daily", "weekly": "weekly", "monthly": "monthly",
                             "quarterly": "quarterly", "yearly": "yearly"},
            "mounted": {"yes": "mounted", "no": "not mounted"},
            "fresh": {"fresh": "fresh", "stale": "stale", "unmounted": "not mounted"},
            "status": {"draft": "draft", "submitted": "under review", "returned": "returned",
                       "in_notice": "in public notice", "published": "published"},
            "mount": {"table": "table", "file": "file", "api": "API"},
            "open_type": {"open": "open", "conditional": "open with conditions", "not_open": "not open"},
        },
    },
}
