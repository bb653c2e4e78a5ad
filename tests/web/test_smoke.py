from starlette.testclient import TestClient
from tests.support.web import log_in


def test_officer_reaches_workbench(client: TestClient, demo_city: dict) -> None:
    log_in(client, "officer")
    page = client.get("/workbench")
    assert page.status_code == 200
    assert "厦门市市场监督管理局" in page.text
