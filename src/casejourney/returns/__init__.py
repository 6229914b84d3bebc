"""An authority's statutory returns: a simulated caseload written as a synthetic SSDA903 return.

Consumes a results folder written by ``casejourney simulate`` (its event log in ``events/``);
produces the SSDA903 CSVs (header, episodes, reviews) for one collection year, with synthetic
child ids and dates of birth, so a performance team can test its own pipelines on a caseload of any
size without any child's data.
"""

from casejourney.returns.export import ReturnsError, export_ssda903

__all__ = ["ReturnsError", "export_ssda903"]
