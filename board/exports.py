"""Open data for "You said, we did" and the expenses totals, with formula-injection escaping."""

from __future__ import annotations

import csv
import io

from board import selectors
from cms.exports import escape_cell


def you_said_we_did_rows() -> list[dict]:
    rows = []
    for recommendation in selectors.published_recommendations():
        response = recommendation.response
        rows.append(
            {
                "reference": recommendation.reference,
                "title": recommendation.title,
                "service_area": recommendation.service_area.name,
                "from": recommendation.public_author,
                "what_should_change": recommendation.what_should_change,
                "desired_outcome": recommendation.desired_outcome,
                "outcome": response.get_outcome_display(),
                "council_response": response.response,
                "reasons": response.reasons,
                "alternatives_explored": response.alternatives_explored,
                "next_steps": response.next_steps,
                "review_date": response.review_date.isoformat() if response.review_date else None,
                "published": recommendation.published_at.date().isoformat()
                if recommendation.published_at
                else None,
                "progress_updates": [
                    {"date": update.date.isoformat(), "update": update.update}
                    for update in recommendation.progress_updates.all()
                ],
                "changes_made": [
                    {
                        "kind": change.get_kind_display(),
                        "description": change.description,
                        "service_area": change.service_area.name,
                        "date": change.implemented_on.isoformat(),
                    }
                    for change in recommendation.changes.all()
                ],
            }
        )
    return rows


CSV_COLUMNS = [
    "reference",
    "title",
    "service_area",
    "from",
    "what_should_change",
    "desired_outcome",
    "outcome",
    "council_response",
    "reasons",
    "alternatives_explored",
    "next_steps",
    "review_date",
    "published",
    "latest_progress",
    "changes_made",
]


def you_said_we_did_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in you_said_we_did_rows():
        progress = row["progress_updates"][0] if row["progress_updates"] else None
        flat = {
            **row,
            "latest_progress": f"{progress['date']}: {progress['update']}" if progress else "",
            "changes_made": "; ".join(
                f"{c['kind']} ({c['date']}): {c['description']}" for c in row["changes_made"]
            ),
        }
        writer.writerow([escape_cell(flat[column] or "") for column in CSV_COLUMNS])
    return buffer.getvalue()
