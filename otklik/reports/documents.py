"""Files of a frozen report: XLSX with native charts (xlsxwriter) and PDF (WeasyPrint) rendered
from the same HTML template as the web page. Both are made from Report.data alone."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from otklik.reports.models import ReportKind


def column_labels() -> dict[str, str]:
    return {
        "organization": _("Organisation"),
        "received": _("Received"),
        "answered": _("Answered"),
        "answered_on_time": _("On time"),
        "answered_late": _("Late"),
        "postponed": _("Postponed"),
        "in_progress": _("In progress at the end"),
        "redirected": _("Redirected or forwarded"),
        "closed_without_answer": _("Rejected or left without an answer"),
        "breaches": _("Deadline breaches"),
        "first_replies": _("First replies"),
        "avg_first_reply_hours": _("Average time to first reply, h"),
        "discussions": _("Discussions"),
        "votes": _("Votes"),
        "polls": _("Polls"),
        "held_on_time": _("Held on time"),
        "held_late": _("Held late"),
    }


def section_titles() -> dict[str, str]:
    return {
        "messages": _("Messages"),
        "social": _("Public messages"),
        "participation": _("Discussions, votes and polls"),
    }


def report_title(data: dict[str, Any]) -> str:
    start = dt.date.fromisoformat(data["period_start"])
    end = dt.date.fromisoformat(data["period_end"])
    if data["kind"] == ReportKind.QUARTERLY_SOCIAL:
        title = _("Report on messages from open sources for %(start)s – %(end)s") % {
            "start": start.strftime("%d.%m.%Y"), "end": end.strftime("%d.%m.%Y")}
    else:
        title = _("Monthly report for %(month)s") % {"month": start.strftime("%m.%Y")}
    where = data.get("organization") or _("the whole region")
    return f"{title}: {where}"


def unrouted_label() -> str:
    return _("Not routed yet (moderation)")


def display_rows(section: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for row in section["rows"]:
        name = row["organization"] or unrouted_label()
        rows.append({"name": name, "values": [row.get(column, 0) for column in section["columns"]]})
    return rows


def context(data: dict[str, Any]) -> dict[str, Any]:
    """What the HTML template needs: the data with labels and rows ready to print."""
    labels = column_labels()
    titles = section_titles()
    sections = []
    for key in ("messages", "social", "participation"):
        section = data["sections"].get(key)
        if section is None:
            continue
        total = section["total"]
        on_time, late = total.get("answered_on_time", 0), total.get("answered_late", 0)
        sections.append({
            "key": key,
            "title": titles[key],
            "available": section.get("available", True),
            "headers": [labels[column] for column in section["columns"]],
            "rows": display_rows(section),
            "total": [total.get(column, 0) for column in section["columns"]],
            "on_time_share": round(100 * on_time / (on_time + late)) if on_time + late else None,
        })
    return {"data": data, "title": report_title(data), "sections": sections, "summary": data["summary"],
            "breaches": data["breaches"], "measures": data["measures"], "generated_at": data.get("generated_at", "")}


def render_pdf(data: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only report generation needs

    html = render_to_string("reports/report_document.html", {**context(data), "for_pdf": True})
    return HTML(string=html).write_pdf()


def render_xlsx(data: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E6EEF8", "border": 1})
    cell = book.add_format({"border": 1})
    total_fmt = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    title_fmt = book.add_format({"bold": True, "font_size": 14})
    ctx = context(data)

    summary = book.add_worksheet(_("Summary")[:31])
    summary.set_column(0, 0, 48)
    summary.set_column(1, 4, 16)
    summary.write(0, 0, ctx["title"], title_fmt)
    facts = [
        (_("Submitted in the period"), data["summary"]["submitted"]),
        (_("Average time to answer, h"), data["summary"]["avg_answer_hours"]),
        (_("Median time to answer, h"), data["summary"]["median_answer_hours"]),
        (_("Average rating"), data["summary"]["avg_rating"]),
        (_("Deadline breaches"), data["summary"]["breaches"]),
        (_("Disciplinary measures applied"), data["summary"]["measures_applied"]),
        (_("Problems solved by the promised date"), data["summary"].get("resolved_on_time", 0)),
        (_("Problems solved late or not solved after the promised date"), data["summary"].get("resolved_late", 0)),
        (_("Problems whose promised date has not come yet"), data["summary"].get("resolution_pending", 0)),
    ]
    for index, (label, value) in enumerate(facts, start=2):
        summary.write(index, 0, label, bold)
        summary.write(index, 1, "" if value is None else value)
    table_row = len(facts) + 3
    summary.write_row(table_row, 0, [_("Section"), _("Received"), _("Answered"), _("On time"), _("Late")], head)
    for offset, section in enumerate(s for s in ctx["sections"] if s["key"] != "participation"):
        total = data["sections"][section["key"]]["total"]
        summary.write_row(table_row + 1 + offset, 0, [
            section["title"], total["received"], total["answered"], total["answered_on_time"], total["answered_late"],
        ], cell)
    kinds = sum(1 for s in ctx["sections"] if s["key"] != "participation")
    sheet_name = summary.get_name()
    chart = book.add_chart({"type": "column"})
    for column, color in ((3, "#1E7B34"), (4, "#B3261E")):
        chart.add_series({
            "name": [sheet_name, table_row, column],
            "categories": [sheet_name, table_row + 1, 0, table_row + kinds, 0],
            "values": [sheet_name, table_row + 1, column, table_row + kinds, column],
            "fill": {"color": color},
        })
    chart.set_title({"name": _("Answers on time and late")})
    summary.insert_chart(table_row + kinds + 2, 0, chart)

    for section in ctx["sections"]:
        sheet = book.add_worksheet(section["title"][:31])
        sheet.set_column(0, 0, 50)
        sheet.set_column(1, len(section["headers"]), 14)
        sheet.write(0, 0, ctx["title"], bold)
        if not section["available"]:
            sheet.write(1, 0, _("The module of discussions, votes and polls is not in use yet: the figures are zero."))
        sheet.write_row(2, 0, [column_labels()["organization"], *section["headers"]], head)
        first = 3
        for offset, row in enumerate(section["rows"]):
            sheet.write(first + offset, 0, row["name"], cell)
            sheet.write_row(first + offset, 1, row["values"], cell)
        last = first + len(section["rows"]) - 1
        total_row = first + len(section["rows"])
        sheet.write(total_row, 0, _("Total"), total_fmt)
        columns = data["sections"][section["key"]]["columns"]
        for index, value in enumerate(section["total"], start=1):
            if section["rows"] and not columns[index - 1].startswith("avg_"):
                # A real formula, with its value cached so that readers without a calculator see it too.
                letter = xlsxwriter.utility.xl_col_to_name(index)
                sheet.write_formula(total_row, index, f"=SUM({letter}{first + 1}:{letter}{last + 1})", total_fmt,
                                    value)
            else:
                sheet.write(total_row, index, value, total_fmt)
        if section["key"] != "participation" and section["rows"]:
            name = sheet.get_name()
            bars = book.add_chart({"type": "bar", "subtype": "stacked"})
            for column, color in ((3, "#1E7B34"), (4, "#B3261E")):
                bars.add_series({
                    "name": [name, 2, column],
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, column, last, column],
                    "fill": {"color": color},
                })
            bars.set_title({"name": _("Answers on time and late by organisation")})
            bars.set_size({"width": 720, "height": max(300, 22 * len(section["rows"]) + 120)})
            sheet.insert_chart(total_row + 2, 0, bars)

    breaches = book.add_worksheet(_("Deadline breaches")[:31])
    breach_cols = [("appeal", _("Appeal")), ("organization", _("Organisation")), ("stage", _("Stage")),
                   ("due_at", _("Was due")), ("detected_at", _("Detected")), ("executor", _("Executor")),
                   ("coordinator", _("Coordinator")), ("decision", _("Decision"))]
    breaches.set_column(0, len(breach_cols), 22)
    breaches.write_row(0, 0, [label for _key, label in breach_cols], head)
    for index, row in enumerate(data["breaches"], start=1):
        breaches.write_row(index, 0, [row[key] for key, _label in breach_cols], cell)
    if data["summary"]["breaches"] > len(data["breaches"]):
        breaches.write(len(data["breaches"]) + 2, 0, _("Only the first %(n)s breaches are listed.")
                       % {"n": len(data["breaches"])})

    measures = book.add_worksheet(_("Disciplinary measures")[:31])
    measure_cols = [("organization", _("Organisation")), ("appeal", _("Appeal")), ("person", _("Person")),
                    ("measure", _("Measure")), ("note", _("Note")), ("decided_at", _("Decided on")),
                    ("decided_by", _("Decided by"))]
    measures.set_column(0, len(measure_cols), 22)
    measures.write_row(0, 0, [label for _key, label in measure_cols], head)
    for index, row in enumerate(data["measures"], start=1):
        measures.write_row(index, 0, [row[key] for key, _label in measure_cols], cell)
    book.close()
    return buffer.getvalue()
