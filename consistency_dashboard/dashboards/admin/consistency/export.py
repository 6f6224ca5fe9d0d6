"""The audit's rows as CSV and JSON records: the same filtered rows the
page shows, in the core's words, streamed."""
import csv
import io
import json

INSTANCE_FIELDS = (
    "id", "name", "project_id", "project_name", "status", "host",
    "boot_source", "image_id", "image_name",
    "captured_source", "captured_hw_qemu_guest_agent",
    "captured_os_require_quiesce", "current_hw_qemu_guest_agent",
    "current_os_require_quiesce", "predicted_outcome", "prediction",
    "action_needed", "rebuild_needed", "badge")

IMAGE_FIELDS = (
    "id", "name", "owner", "owner_name", "visibility", "status",
    "hw_qemu_guest_agent", "os_require_quiesce", "hw_require_fsfreeze",
    "posture", "needs_attention", "attention", "loaded_instances")


def _nova_reads(properties, name):
    if properties is None:
        return "unknown"
    value = getattr(properties, name)
    return "true" if value.value else "false"


def instance_record(row):
    captured = row.captured.properties
    return {
        "id": row.id,
        "name": row.name,
        "project_id": row.project_id,
        "project_name": row.project_name,
        "status": row.status,
        "host": row.host,
        "boot_source": row.boot_source,
        "image_id": row.image_id,
        "image_name": row.image_name,
        "captured_source": row.captured.source.value,
        "captured_hw_qemu_guest_agent": _nova_reads(captured, "guest_agent"),
        "captured_os_require_quiesce": _nova_reads(captured,
                                                   "require_quiesce"),
        "current_hw_qemu_guest_agent": _nova_reads(row.current,
                                                   "guest_agent"),
        "current_os_require_quiesce": _nova_reads(row.current,
                                                  "require_quiesce"),
        "predicted_outcome": row.prediction.label,
        "prediction": row.prediction.summary,
        "action_needed": row.action_needed,
        "rebuild_needed": row.rebuild_needed,
        "badge": row.prediction.badge or "",
    }


def image_record(row):
    props = row.posture.properties
    return {
        "id": row.id,
        "name": row.name,
        "owner": row.owner,
        "owner_name": row.owner_name,
        "visibility": row.visibility,
        "status": row.status,
        "hw_qemu_guest_agent": _nova_reads(props, "guest_agent"),
        "os_require_quiesce": _nova_reads(props, "require_quiesce"),
        "hw_require_fsfreeze": ("" if props.dead_fsfreeze is None
                                else str(props.dead_fsfreeze)),
        "posture": row.posture.label,
        "needs_attention": row.needs_attention,
        "attention": " ".join(row.posture.attention),
        "loaded_instances": row.instance_count,
    }


def _csv_cell(value):
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula in spreadsheet programs
    # (CSV injection): names come from tenants.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def csv_lines(records, fields, stopped=()):
    """CSV text, one line per chunk.  ``stopped``: exception classes that
    end the stream early (with ``why`` and ``rows_done``); a last line then
    says so, since a streamed response cannot turn into an error page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    yield buffer.getvalue()
    try:
        for record in records:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_csv_cell(record.get(f)) for f in fields])
            yield buffer.getvalue()
    except stopped as exc:
        yield "# export stopped after %d instances: %s\n" % (
            exc.rows_done, " ".join(str(exc.why).split()))


def json_chunks(records, meta, stopped=()):
    """A JSON object ``{"meta": ..., "rows": [...], "stopped": null}``, one
    row per chunk; ``stopped`` says why the stream ended early, if it
    did."""
    yield '{"meta": %s, "rows": [' % json.dumps(meta)
    first = True
    reason = None
    try:
        for record in records:
            yield ("" if first else ", ") + json.dumps(record)
            first = False
    except stopped as exc:
        reason = {"after_instances": exc.rows_done, "why": str(exc.why)}
    yield '], "stopped": %s}\n' % json.dumps(reason)
