"""
Audit, PostgreSQL: one server-side call appends a batch, so a batch costs one
network round trip (the call and its COMMIT are pipelined).

``ircc_audit_append`` takes the heads the writer hashed against (its cache)
and the entries, one array per column. It creates the head row of a new
partition, locks the batch's heads in partition order (no deadlock between
batches), moves each head only where it still holds the expected (seq, hash),
and inserts the entries; if any head had moved, it raises SQLSTATE ``IA001``
and nothing of the batch is written (the writer reads the heads again and
retries). SQLite needs nothing: its writers serialize on ``BEGIN IMMEDIATE``.

Revision ID: 0011a_audit_append
Revises: 0003_audit
"""

from __future__ import annotations

from alembic import op

revision = "0011a_audit_append"
down_revision = "0003_audit"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("partition", "text"), ("seq", "bigint"), ("entry_id", "text"), ("occurred_at", "bigint"),
    ("actor_id", "text"), ("capacity", "text"), ("action", "text"), ("client_id", "text"),
    ("item_id", "text"), ("service_id", "text"), ("decision", "text"), ("reason", "text"),
    ("grant_id", "text"), ("organisation_id", "text"), ("on_behalf_of", "text"),
    ("correlation_id", "text"), ("source_ip", "text"), ("format", "smallint"),
    ("prev_hash", "bytea"), ("entry_hash", "bytea"),
)  # fmt: skip


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    params = ", ".join(f"e_{name} {kind}[]" for name, kind in _COLUMNS)
    columns = ", ".join(f'"{name}"' for name, _ in _COLUMNS)
    arrays = ", ".join(f"e_{name}" for name, _ in _COLUMNS)
    op.execute(
        "CREATE FUNCTION ircc_audit_append(parts text[], old_seqs bigint[], old_hashes bytea[], "  # noqa: S608 - constants only
        f"new_seqs bigint[], new_hashes bytea[], new_times bigint[], {params}) "
        "RETURNS void LANGUAGE plpgsql AS $fn$\n"
        "DECLARE moved bigint;\n"
        "BEGIN\n"
        '  INSERT INTO audit_heads ("partition", seq, head_hash, head_time)\n'
        "    SELECT p, 0, h, 0 FROM unnest(parts, old_seqs, old_hashes) AS x(p, s, h) WHERE s = 0\n"
        '    ON CONFLICT ("partition") DO NOTHING;\n'
        '  PERFORM 1 FROM audit_heads WHERE "partition" = ANY(parts) ORDER BY "partition"\n'
        "    FOR UPDATE;\n"
        "  UPDATE audit_heads AS h SET seq = v.ns, head_hash = v.nh, head_time = v.nt\n"
        "    FROM unnest(parts, old_seqs, old_hashes, new_seqs, new_hashes, new_times)\n"
        "      AS v(p, os, oh, ns, nh, nt)\n"
        '    WHERE h."partition" = v.p AND h.seq = v.os AND h.head_hash = v.oh;\n'
        "  GET DIAGNOSTICS moved = ROW_COUNT;\n"
        "  IF moved <> cardinality(parts) THEN\n"
        "    RAISE EXCEPTION 'audit heads moved' USING ERRCODE = 'IA001';\n"
        "  END IF;\n"
        f"  INSERT INTO audit_entries ({columns}) SELECT * FROM unnest({arrays});\n"
        "END\n"
        "$fn$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS ircc_audit_append")
