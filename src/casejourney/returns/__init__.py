"""An authority's statutory returns: a simulated caseload written as a synthetic CIN census and SSDA903.

Consumes a results folder written by ``casejourney simulate`` (its event log in ``events/``);
produces the SSDA903 CSVs (header, episodes, reviews, oc3) and the CIN census XML for one collection
year, with synthetic child ids and dates of birth, so a performance team can test its own pipelines
on a caseload of any size without any child's data.
"""

from casejourney.returns.caseload import ReturnsError
from casejourney.returns.export import export_returns, export_ssda903

__all__ = ["ReturnsError", "export_returns", "export_ssda903"]
