"""An ECS task stays in its status until something changes it, as in AWS; moto 5.2.5 advanced it on every read.

moto registers the ``ecs::task`` model with the state manager's ``manual`` progression, ``times`` 1:
every DescribeTasks moves a task one step along RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING →
STOPPED, while its ``desiredStatus`` stays ``RUNNING``. In AWS a task of a service or a long-running
standalone task stays ``RUNNING`` until it exits, is stopped (StopTask) or its service scales in: "The
desired status is the status that the task is moving toward ... the task's last status is the last
known status" and a task moves to ``STOPPED`` after its desired status became ``STOPPED`` ("Amazon ECS
task lifecycle", Amazon ECS Developer Guide,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html). So reading
a task never changes it here: the default transition of ``ecs::task`` becomes ``manual`` with a number
of reads no test reaches. StopTask is unchanged: moto sets ``lastStatus`` and ``desiredStatus`` to
``STOPPED`` at once (AWS passes through ``STOPPING`` while the containers get SIGTERM; the playbook
reads ``desiredStatus``, which AWS sets at once). A test that wants moto's progression can still set a
transition through ``/moto-api/state-manager/set-transition``, which takes precedence over a default.
"""

from __future__ import annotations

PATCHES = ("ECS tasks: a task's status does not advance when it is read (moto stopped a task after a few DescribeTasks)",)

#: Reads of a task before moto would advance its status: never reached.
NEVER = 2**62


def apply() -> None:
    """Registers the ``ecs::task`` default transition (idempotent)."""
    from moto.moto_api import state_manager

    state_manager.register_default_transition(model_name="ecs::task", transition={"progression": "manual", "times": NEVER})
