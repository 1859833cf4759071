"""What a unit can do about a deduction, in its own words: the department's workspace shows it beside each
lost point. Measured items are restored (or kept from growing) by the facts their metric reads; a document
item by the document; an inventory item by a reviewed correction of the inventory; an inspector's finding
by an appeal in time or by putting it right before the next inspection."""

from __future__ import annotations

from scoring.domain.ruleset import Item

METRIC_REMEDIES = {
    "catalog_batch": "按需求清单编目并发布所需资源，在截止日前挂接",
    "every_batch_on_time": "在每批需求的截止日前完成编目与挂接",
    "first_batch_publication_rate": "发布第一批目录中尚未发布的资源",
    "first_batch_mount_rate": "挂接第一批目录中已发布但未挂接的资源",
    "first_batch_fully_mounted": "挂接第一批目录的全部资源",
    "batch_kind_fully_mounted": "挂接该批目录的全部资源",
    "stale_resources": "按资源的更新周期更新数据（本月每个过期资源扣一次，下次更新后不再过期）",
    "failed_calls": "修复共享接口，保证调用成功（每个资源每天失败一次即扣分）",
    "late_request_decisions": "在工作日时限内审核答复共享申请（拒绝须说明理由）",
    "upheld_disputes": "核查并纠正被认定的数据质量问题",
    "first_data_use": "通过共享平台使用其他单位的数据",
    "unsealed_license_uses": "为证照加盖统一电子印章后再推送",
    "claim_without_declared_stock": "为认领的证照类型申报存量数量",
    "no_auto_incremental_ofd": "以自动增量方式推送带 OFD 版式文件的证照",
    "claimed_types_pushed_rate": "为每个认领的证照类型推送证照",
    "stock_aggregation_rate": "导入申报存量中尚未汇聚的证照",
    "pushed_file_share": "为已汇聚的证照补齐版式文件",
    "stock_fully_aggregated": "汇聚全部申报存量",
    "first_license_waiver": "在服务办理中使用电子证照免交材料",
}
BY_SOURCE = {
    "submissions": "报送所需材料（POST /submissions/{unit}），在审核通过后不再扣分",
    "inventory": "在系统清单中申报或更正（POST /inventory/{unit}/claims），经审核后按清单重新评分",
    "inspector": "如有异议，在申诉期内申诉（POST /findings/{{id}}/appeal）；否则在下次督查前整改",
}


def remedy(item: Item, source: str, unit: str) -> str:
    """What restores the item's points, or keeps them from growing (source: its key in domain/sources)."""
    if item.metric is not None:
        return METRIC_REMEDIES.get(item.metric, "改善该指标所依据的数据")
    return BY_SOURCE.get(source, "").replace("{unit}", unit).replace("{{id}}", "{id}")
