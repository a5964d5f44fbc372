"""An OData v2 service as SAP publishes it, built with no hints and called through a real MCP
client against Prism serving its spec (bench/realworld_bench.py's harness): every read and
write tool, keys sent as OData's string literals, lists paged by `$skip`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, node_tool

if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.realworld_bench import ADAPTGEN, OK, run_spec  # noqa: E402

pytestmark = [pytest.mark.npm]

ODATA = ROOT / "tests" / "fixtures" / "odata" / "business_partner.json"


@pytest.mark.parametrize("writes", [False, True], ids=["reads", "writes"])
def test_an_odata_service_is_called_as_its_spec_says(writes: bool, tmp_path: Path):
    node_tool("prism")
    result = run_spec(ODATA, writes=writes, log=lambda _: None)
    assert not result.error, result.error
    assert result.get_tools == (15 if writes else 10)
    wrong = [f"{c.tool}: {c.reason}: {c.sent}" for c in result.calls if c.verdict != OK]
    assert wrong == [] and result.count(ADAPTGEN) == 0
    sent = {c.tool: " ".join(c.sent) for c in result.calls}
    if writes:
        assert sent["update_customer_sales_area"].startswith(
            "PATCH /A_CustomerSalesArea(Customer='"
        )
    else:
        assert sent["get_business_partner"].startswith("GET /A_BusinessPartner('")
        # a page of `$top`, then on from `$skip` (Prism's one example item: a short page)
        assert sent["list_business_partners"].startswith(
            "GET /A_BusinessPartner?%24skip=0&%24top=25"
        )
