"""Bounded polling of a test snapshot, and the progress stage shown to the
user while Nova works.

Nova's task states during ``createImage`` (nova/compute/task_states.py):
``image_snapshot_pending`` (API accepted), ``image_snapshot`` (compute
started), ``image_pending_upload`` and ``image_uploading`` (the driver
copies the disk and uploads it).  Glance's image goes ``queued`` ->
``saving`` -> ``active``; a failed image-backed snapshot is deleted
(``delete_image_on_error`` in nova/compute/manager.py), so the image
vanishes (404) or shows ``deleted``.  A snapshot that is merely slow is
"still running", never "failed".

Nova clears the task state only after the image is active, or after it
deleted a failed snapshot's image.  An image still pending on an instance
without a task state was abandoned: nova-compute stopped in the middle of
the snapshot and, started again, cleared the task (``_init_instance``)
without finishing or deleting the image.  It stays ``queued`` or
``saving`` for ever.
"""

import dataclasses
import enum

DEFAULT_BOUND_SECONDS = 900.0
# An image pending on an idle instance is abandoned only this long after
# the request (the API creates the image just before it sets the task).
ABANDONED_AFTER_SECONDS = 30.0


class Stage(enum.Enum):
    REQUESTED = "requested"
    SNAPSHOTTING = "snapshotting"
    UPLOADING = "uploading"
    DONE = "done"


class ImageFate(enum.Enum):
    NOT_CREATED = "not created"    # createImage failed: no image
    PENDING = "pending"            # queued, saving, uploading, importing
    ACTIVE = "active"
    VANISHED = "vanished"          # 404: Nova deleted it
    DELETED = "deleted"            # deleted or pending_delete
    KILLED = "killed"              # the upload failed
    DEACTIVATED = "deactivated"    # exists but an admin blocked its data
    TIMED_OUT = "timed out"        # still pending after the polling bound
    UNREACHABLE = "unreachable"    # Glance did not answer
    ABANDONED = "abandoned"        # pending, but Nova no longer works on it

    @property
    def final(self):
        return self in (ImageFate.NOT_CREATED, ImageFate.ACTIVE,
                        ImageFate.VANISHED, ImageFate.DELETED,
                        ImageFate.KILLED, ImageFate.DEACTIVATED,
                        ImageFate.ABANDONED)

    @property
    def failed(self):
        return self in (ImageFate.NOT_CREATED, ImageFate.VANISHED,
                        ImageFate.DELETED, ImageFate.KILLED,
                        ImageFate.ABANDONED)


_TASK_STAGES = {
    "image_snapshot_pending": Stage.REQUESTED,
    "image_snapshot": Stage.SNAPSHOTTING,
    "image_pending_upload": Stage.SNAPSHOTTING,
    "image_uploading": Stage.UPLOADING,
}
_VOLUME_SNAPSHOT_PENDING = ("creating", "backing-up")


def image_fate(image_status, http_status=None, reachable=True,
               elapsed_seconds=0.0, bound_seconds=DEFAULT_BOUND_SECONDS):
    """What became of the snapshot image, from one Glance read.

    ``http_status`` 404 means the image is gone; ``reachable`` False means
    Glance did not answer (network, 5xx): not a failure of the snapshot.
    """
    if not reachable or (http_status is not None and http_status >= 500):
        if elapsed_seconds >= bound_seconds:
            return ImageFate.TIMED_OUT
        return ImageFate.UNREACHABLE
    if http_status == 404:
        return ImageFate.VANISHED
    status = (image_status or "").lower()
    if status == "active":
        return ImageFate.ACTIVE
    if status in ("deleted", "pending_delete"):
        return ImageFate.DELETED
    if status == "killed":
        return ImageFate.KILLED
    if status == "deactivated":
        return ImageFate.DEACTIVATED
    if elapsed_seconds >= bound_seconds:
        return ImageFate.TIMED_OUT
    return ImageFate.PENDING


@dataclasses.dataclass(frozen=True)
class PollState:
    keep_polling: bool
    stage: Stage
    fate: ImageFate
    label: str                 # what the row shows
    next_poll_seconds: float   # None when polling stops

    @property
    def final(self):
        return self.fate.final and self.stage is Stage.DONE


def next_interval(elapsed_seconds):
    """Poll quickly at first (most snapshots take seconds), then back off."""
    if elapsed_seconds < 30:
        return 2.0
    if elapsed_seconds < 120:
        return 5.0
    return 15.0


def poll_state(elapsed_seconds, image_status=None, task_state=None,
               http_status=None, reachable=True, volume_snapshot_statuses=(),
               bound_seconds=DEFAULT_BOUND_SECONDS, server_idle=False):
    """Whether to keep polling and what stage to show.

    ``elapsed_seconds`` since createImage was accepted; ``image_status`` and
    ``http_status`` from the last Glance read; ``task_state`` of the server
    (None when idle); ``volume_snapshot_statuses`` for a volume-backed
    snapshot, whose image is ``active`` at once while Cinder still works.
    ``server_idle``: the server was read and has no task state (False when
    it could not be read).
    """
    fate = image_fate(image_status, http_status, reachable, elapsed_seconds,
                      bound_seconds)
    if fate in (ImageFate.PENDING, ImageFate.TIMED_OUT) and server_idle \
            and not task_state and \
            (image_status or "").lower() in ("queued", "saving") and \
            elapsed_seconds >= ABANDONED_AFTER_SECONDS:
        fate = ImageFate.ABANDONED
    pending_volumes = any((s or "").lower() in _VOLUME_SNAPSHOT_PENDING
                          for s in volume_snapshot_statuses or ())
    if fate is ImageFate.ACTIVE and pending_volumes:
        if elapsed_seconds >= bound_seconds:
            return PollState(False, Stage.UPLOADING, ImageFate.TIMED_OUT,
                             "still running", None)
        return PollState(True, Stage.UPLOADING, ImageFate.PENDING,
                         Stage.UPLOADING.value,
                         next_interval(elapsed_seconds))
    if fate.final:
        return PollState(False, Stage.DONE, fate, Stage.DONE.value, None)
    stage = _TASK_STAGES.get((task_state or "").lower())
    if stage is None:
        status = (image_status or "").lower()
        stage = Stage.UPLOADING if status in ("saving", "uploading",
                                              "importing") \
            else Stage.REQUESTED
    if fate is ImageFate.TIMED_OUT:
        return PollState(False, stage, fate, "still running", None)
    label = stage.value
    if fate is ImageFate.UNREACHABLE:
        label += " (the image service did not answer; retrying)"
    return PollState(True, stage, fate, label,
                     next_interval(elapsed_seconds))
