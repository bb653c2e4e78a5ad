"""The synthetic city's files become published catalog resources with the right keys and units."""

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog.models import ResourceStatus, SharingType, SubjectKind
from tongban.catalog.schema import schema_of
from tongban.catalog.service import seed_standard_elements
from tongban.demo.city.departments import FILES
from tongban.demo.hub import register_city_resources
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("test")


def test_every_file_is_a_published_resource(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> None:
    with session_factory() as session:
        seed_standard_elements(session, SYSTEM)
        registered = register_city_resources(session, SYSTEM)
        session.commit()
        assert set(registered) == {f.key for f in FILES}
        assert all(r.status is ResourceStatus.PUBLISHED for r in registered.values())
        # Idempotent: a second run registers nothing new.
        assert {r.id for r in register_city_resources(session, SYSTEM).values()} == {
            r.id for r in registered.values()
        }

        returns = schema_of(registered["SWJ/annual_returns"])
        assert [f.name for f in returns.key_fields] == ["纳税人识别号", "所属年度"]
        assert returns.sharing_type is SharingType.CONDITIONAL
        hires = schema_of(registered["RSJ/hires"])
        assert hires.subject_kind is SubjectKind.RIC
        assert hires.subject_field is not None and hires.subject_field.name == "公民身份号码"
        # Department units are declared, so ingest converts 千元 and 万元 into 元.
        above_scale = schema_of(registered["TJJ/above_scale"])
        revenue = above_scale.field("营业收入（千元）")
        assert revenue is not None and revenue.unit_factor == Decimal(1000)
        # Individual statistical returns are not shared (统计法 第三十九条).
        assert registered["TJJ/annual_units"].sharing_type is SharingType.NOT_SHARED
        assert registered["FGW/serious_dishonesty"].full_coverage
        assert not registered["SWJ/annual_returns"].full_coverage
