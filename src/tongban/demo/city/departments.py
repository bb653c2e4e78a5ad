"""Which department holds which file, with which columns, and how columns map to data elements.

Each department keeps its own vocabulary and conventions, as its business system does: 税务
says 纳税人识别号 where 市场监管 says 统一社会信用代码; 市场监管 keeps registered capital in 万元,
统计 keeps revenue in 千元, 税务 in 元; 人社 keys units by its own 单位编号 and people by
公民身份号码; 市场监管 writes industry codes with their section letter (C3911), 统计 without.
``Column.element`` names the standard data element (``catalog/data/elements.json``) a later
ingest maps the column to, with ``unit`` telling it how to convert; ``None`` means the column
has no standard element yet (addresses, document numbers, department-internal codes).

Roles: ``key`` columns identify the row and are never spoiled by missing-value or malformed
injections (invalid-code injections do hit key codes: a mistyped USCC is the classic typo);
``label`` columns (names) are never blanked; ``value`` columns may be; ``optional`` columns are
blank by nature in some rows (a branch has no registered capital) and are never injected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "code", "date", "year", "int", "decimal"]
Role = Literal["key", "label", "value", "optional"]
Check = Literal["uscc", "ric", "region", "industry"]
Coverage = Literal["all", "listed"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    element: str | None = None
    unit: str | None = None
    role: Role = "value"
    check: Check | None = None  # the code kind, for invalid-code injection and validation

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal")


@dataclass(frozen=True)
class FileSpec:
    key: str  # relative path without extension: "SCJGJ/registrations"
    department: str  # department code, as in tongban.demo.organisations
    title: str
    subject: Literal["enterprise", "person"]
    coverage: Coverage  # all: every subject in scope has a row; listed: absence = not listed
    description: str
    columns: tuple[Column, ...]
    year_column: str | None = None  # a file with one row per subject and year
    stale_kind: Literal["drop", "shift"] | None = None  # how a stale record shows
    # qualification codes (tongban.kernel.codes.enterprise) a row stands for: (column, value,
    # code); column "" means every row of the file
    qualifications: tuple[tuple[str, str, str], ...] = ()

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


DEPARTMENTS: dict[str, str] = {
    "SCJGJ": "{city}市场监督管理局",
    "SWJ": "国家税务总局{city}税务局",
    "RSJ": "{city}人力资源和社会保障局",
    "KJJ": "{city}科学技术局",
    "GXJ": "{city}工业和信息化局",
    "TJJ": "{city}统计局",
    "YJJ": "{city}应急管理局",
    "FGW": "{city}发展和改革委员会",
}

_USCC = "统一社会信用代码"


def _uscc(name: str = _USCC) -> Column:
    return Column(name, "code", "uscc", role="key", check="uscc")


def _name(name: str = "企业名称") -> Column:
    return Column(name, "text", "enterprise_name", role="label")


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "SCJGJ/registrations", "SCJGJ", "市场主体登记信息", "enterprise", "all",
        "登记注册系统中存续的市场主体（含个体工商户、农民专业合作社；村股份经济合作社由农业农村部门登记，"
        "随法人库一并提供）。",
        (_uscc(), _name(), Column("法定代表人", "text", "legal_representative"),
         Column("企业类型", "text", "enterprise_type"),
         Column("注册资本（万元）", "decimal", "registered_capital", "万元", role="optional"),
         Column("成立日期", "date", "establishment_date"),
         Column("住所", "text", "registered_address"),
         Column("住所所在行政区划", "code", "registered_region", check="region"),
         Column("行业代码", "code", "industry", check="industry"),
         Column("登记机关", "text", "registration_authority"),
         Column("登记状态", "text", "registration_status"), Column("核准日期", "date", "approval_date")),
    ),
    FileSpec(
        "SCJGJ/penalties", "SCJGJ", "行政处罚信息", "enterprise", "listed",
        "近五年作出的行政处罚决定（警告的罚款金额为0）。",
        (Column("行政处罚决定书文号", "code", "document_number", role="key"), _uscc(), _name("当事人名称"),
         Column("违法行为类型", "text"), Column("处罚类别", "text"),
         Column("罚款金额（元）", "decimal", "administrative_penalty_amount", "元"),
         Column("处罚决定日期", "date", "penalty_decision_date"), Column("处罚机关", "text")),
    ),
    FileSpec(
        "SCJGJ/patents", "SCJGJ", "企业有效专利统计", "enterprise", "listed",
        "知识产权部门按年末统计的有效专利数；无有效专利的企业不列。",
        (_uscc(), _name(), Column("统计年度", "year", "reporting_year", role="key"),
         Column("有效发明专利数", "int", unit="件"), Column("有效实用新型专利数", "int", unit="件"),
         Column("有效外观设计专利数", "int", unit="件"),
         Column("有效专利总数", "int", "patents", "件")),
        year_column="统计年度",
    ),
    FileSpec(
        "SWJ/taxpayers", "SWJ", "纳税人登记信息", "enterprise", "all",
        "办理税务登记的纳税人；注册地址为纳税人在税务机关登记的地址。",
        (_uscc("纳税人识别号"), _name("纳税人名称"), Column("注册地址", "text", "registered_address"),
         Column("行政区划", "code", "tax_region", check="region"),
         Column("主管税务机关", "text", "tax_authority"),
         Column("行业", "code", "industry", check="industry"),
         Column("纳税人状态", "text", "taxpayer_status"),
         Column("纳税信用等级", "text", "tax_credit_rating")),
    ),
    FileSpec(
        "SWJ/annual_returns", "SWJ", "企业年度纳税情况", "enterprise", "all",
        "按所属年度汇总的申报收入、实缴税额、地方级收入和研发费用（加计扣除口径）。",
        (_uscc("纳税人识别号"), _name("纳税人名称"), Column("所属年度", "year", "reporting_year", role="key"),
         Column("营业收入（元）", "decimal", "annual_revenue", "元"),
         Column("实缴税额（元）", "decimal", "tax_paid", "元"),
         Column("地方级收入（元）", "decimal", "local_fiscal_contribution", "元"),
         Column("研发费用（元）", "decimal", "rd_expense", "元")),
        year_column="所属年度", stale_kind="drop",
    ),
    FileSpec(
        "RSJ/insured_units", "RSJ", "参保单位年度缴费情况", "enterprise", "listed",
        "有参保职工的单位，按年度：年末参保人数、单位实缴失业保险费、经济性裁员人数。",
        (Column("单位编号", "code", "social_insurance_unit_id", role="key"), _uscc(), _name("单位名称"),
         Column("年度", "year", "reporting_year", role="key"),
         Column("年末参保人数", "int", "insured_headcount", "人"),
         Column("失业保险费实缴金额（元）", "decimal", "unemployment_insurance_premium", "元"),
         Column("裁员人数", "int", "layoffs", "人")),
        year_column="年度", stale_kind="drop",
    ),
    FileSpec(
        "RSJ/persons", "RSJ", "参保人员信息", "person", "listed",
        "本期新招用人员的个人参保信息。",
        (Column("公民身份号码", "code", "ric", role="key", check="ric"),
         Column("姓名", "text", "person_name", role="label"), Column("性别", "text", "gender"),
         Column("出生日期", "date", "birth_date"),
         Column("户籍所在地行政区划", "code", "household_region"),
         Column("手机号码", "code", "mobile"),
         # blank where the employer has no unit number
         Column("参保单位编号", "code", "social_insurance_unit_id", role="optional"),
         Column("参保单位统一社会信用代码", "code", "uscc", role="key", check="uscc"),
         Column("参保状态", "text"), Column("就业状态", "text", "employment_status")),
    ),
    FileSpec(
        "RSJ/hires", "RSJ", "就业登记（用工备案）", "person", "listed",
        "用人单位招用人员的就业登记；招用前为登记失业人员的，附失业登记日期。",
        (Column("公民身份号码", "code", "ric", role="key", check="ric"),
         Column("姓名", "text", "person_name", role="label"),
         Column("用人单位统一社会信用代码", "code", "uscc", role="key", check="uscc"),
         _name("用人单位名称"), Column("招用日期", "date", "hire_date"),
         Column("劳动合同期限（月）", "int", "contract_months", unit="月"),
         Column("招用前就业状态", "text", "prior_employment_status"),
         Column("失业登记日期", "date", "unemployment_registration_date", role="optional"),
         Column("是否缴纳社会保险", "text", "social_insurance_paid")),
    ),
    FileSpec(
        "KJJ/high_tech", "KJJ", "高新技术企业认定名单", "enterprise", "listed",
        "历年认定（含重新认定）的高新技术企业证书；证书有效期三年。",
        (Column("证书编号", "code", "document_number", role="key"), _name(), _uscc(),
         Column("发证日期", "date", "certification_date"),
         Column("有效期（年）", "int", "validity_years", unit="年")),
        qualifications=(("", "", "high_tech"),),
    ),
    FileSpec(
        "KJJ/tech_sme", "KJJ", "科技型中小企业入库名单", "enterprise", "listed",
        "按年度评价入库的科技型中小企业；入库登记编号当年有效。",
        (Column("入库登记编号", "code", "document_number", role="key"), _name(), _uscc(),
         Column("入库年度", "year", "reporting_year"), Column("入库日期", "date", "certification_date")),
        qualifications=(("", "", "tech_sme"),),
    ),
    FileSpec(
        "GXJ/srdi", "GXJ", "专精特新企业名单", "enterprise", "listed",
        "省级专精特新中小企业和国家级专精特新“小巨人”企业，有效期三年。",
        (_uscc(), _name(), Column("认定级别", "text", "qualification_level", role="key"),
         Column("认定日期", "date", "certification_date"), Column("有效期至", "date", "expiry_date")),
        qualifications=(("认定级别", "省级专精特新中小企业", "srdi_provincial"),
                        ("认定级别", "国家级专精特新“小巨人”企业", "srdi_little_giant")),
    ),
    FileSpec(
        "GXJ/tech_grants", "GXJ", "技术改造专项资金项目", "enterprise", "listed",
        "省工业和信息化厅下达（省级）与市工业和信息化局安排（市级）的技术改造专项资金项目。",
        (Column("项目编号", "code", "document_number", role="key"), _uscc(), _name(),
         Column("项目名称", "text"),
         Column("资金级别", "text", "grant_level"), Column("下达单位", "text"), Column("下达文号", "text"),
         Column("下达日期", "date", "grant_date"),
         Column("支持金额（万元）", "decimal", "grant_amount", unit="万元")),
    ),
    FileSpec(
        "TJJ/annual_units", "TJJ", "法人单位年报（名录库）", "enterprise", "all",
        "统计名录库中的企业法人单位及其最近一期年报（不含个体工商户和分支机构）。",
        (_uscc(), _name("单位详细名称"), Column("统计年度", "year", "reporting_year"),
         Column("行业代码", "code", "industry", check="industry"),
         Column("从业人员期末人数", "int", "employees", "人"),
         Column("营业收入（千元）", "decimal", "annual_revenue", "千元"),
         Column("企业规模", "text", "enterprise_size")),
        stale_kind="shift",
    ),
    FileSpec(
        "TJJ/above_scale", "TJJ", "规模以上（限额以上）企业名录", "enterprise", "listed",
        "各年度规模以上工业、限额以上批零住餐企业名录。",
        (Column("统计年度", "year", "reporting_year", role="key"), _uscc(), _name("单位详细名称"),
         Column("行业代码", "code", "industry"), Column("类别", "text", "statistical_category", role="key"),
         Column("营业收入（千元）", "decimal", "annual_revenue", "千元")),
        year_column="统计年度",
        qualifications=(("类别", "规模以上工业", "above_scale_industrial"),
                        ("类别", "限额以上批发业", "above_quota_trade"),
                        ("类别", "限额以上零售业", "above_quota_trade"),
                        ("类别", "限额以上住宿业", "above_quota_trade"),
                        ("类别", "限额以上餐饮业", "above_quota_trade")),
    ),
    FileSpec(
        "YJJ/accidents", "YJJ", "生产安全事故信息", "enterprise", "listed",
        "近五年发生的生产安全事故（按《生产安全事故报告和调查处理条例》分级）。",
        (Column("事故编号", "code", "document_number", role="key"),
         Column("事故发生日期", "date", "accident_date"),
         _name("事故单位名称"), _uscc(), Column("事故类型", "text"),
         Column("事故等级", "text", "accident_level"), Column("死亡人数", "int", unit="人"),
         Column("重伤人数", "int", unit="人"),
         Column("直接经济损失（万元）", "decimal", unit="万元")),
    ),
    FileSpec(
        "FGW/serious_dishonesty", "FGW", "严重失信主体名单", "enterprise", "listed",
        "各领域认定的严重失信主体，含已移出名单的记录。",
        (_uscc(), _name("主体名称"), Column("列入日期", "date", "listing_date", role="key"),
         Column("列入原因", "text"), Column("认定部门", "text"),
         Column("移出日期", "date", role="optional"),
         Column("名单状态", "text", "list_status")),
    ),
    FileSpec(
        "FGW/headquarters", "FGW", "总部企业名单", "enterprise", "listed",
        "市级认定的总部企业（认定部门因城市而异，本市由发展和改革委员会汇总）。",
        (_uscc(), _name(), Column("总部类型", "text"), Column("认定日期", "date", "certification_date")),
        qualifications=(("", "", "headquarters"),),
    ),
)

BY_KEY: dict[str, FileSpec] = {f.key: f for f in FILES}


def department_name(code: str, city_name: str) -> str:
    return DEPARTMENTS[code].format(city=city_name)


def element_mapping() -> dict[str, dict[str, str]]:
    """{file key: {column name: data element key}} for every column that has an element."""
    return {
        spec.key: {c.name: c.element for c in spec.columns if c.element}
        for spec in FILES
    }
