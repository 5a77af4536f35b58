"""督查通报: the periodic report for leadership, per plan or per jurisdiction, as PDF and XLSX."""

from planwatch.reports.model import Report, ReportError, build_report, report_period

__all__ = ["Report", "ReportError", "build_report", "report_period"]
