"""The raw way to write responses and answers, shared by the import and report benchmarks:
``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite, nothing checked."""

from __future__ import annotations

import uuid

from django.db import connection

from surveys.models import Answer, Response


class RawBulkLoad:
    def __init__(self):
        quote = connection.ops.quote_name
        self.copy = connection.vendor == "postgresql"
        response_table = quote(Response._meta.db_table)
        answer_table = quote(Answer._meta.db_table)
        if self.copy:
            self.response_sql = (
                f"COPY {response_table} (id, submitted_on, source, wave_id) FROM STDIN"
            )
            self.answer_sql = f"COPY {answer_table} (response_id, question_id, value) FROM STDIN"
        else:
            self.response_sql = (
                f"INSERT INTO {response_table} (id, submitted_on, source, wave_id) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)"
            )
            self.answer_sql = (
                f"INSERT INTO {answer_table} (response_id, question_id, value) "  # noqa: S608
                "VALUES (%s, %s, %s)"
            )
        self.new_key = (
            uuid.uuid4 if connection.features.has_native_uuid_field else lambda: uuid.uuid4().hex
        )

    def write(self, cursor, sql, rows):
        if self.copy:
            with cursor.cursor.copy(sql) as stream:
                for row in rows:
                    stream.write_row(row)
        else:
            cursor.executemany(sql, rows)
