"""Firebreak's extension of moto: AWS behaviour that moto 5.2.5 lacks on Firebreak's path.

``apply_patches()`` installs every patch; ``configure_default_account()`` makes ``MOTO_ACCOUNT_ID``
the default account without disabling the per-request account selection. ``emulator/server.py``
calls both and then runs moto's server. Each behaviour is documented, with the AWS page it follows,
in the submodule that adds it (``ebs_snapshots``, ``rds_snapshots``, ``network_interfaces``, ``dynamodb``, ``events``,
``iam_managed_policies``, ``accounts``, ``lambda_code``, ``ecs_tasks``, ``s3_expected_owner``, ``securityhub_findings``, ``sns_subscriptions``, ``sns_message_structure``, ``cloudtrail_lookup``, ``snapshot_lock``); ``model_tracking``, ``sqs`` and ``ec2_tags`` change no AWS
behaviour: they keep the emulator's memory bounded by its live state, its ReceiveMessage linear in the
queue's length and its tag reads independent of the account's other resources.
"""

from __future__ import annotations

from .accounts import configure_default_account
from .ebs_snapshots import PATCHES as EBS_SNAPSHOT_PATCHES
from .rds_snapshots import PATCHES as RDS_SNAPSHOT_PATCHES
from .network_interfaces import PATCHES as NETWORK_INTERFACE_PATCHES
from .dynamodb import PATCHES as DYNAMODB_PATCHES
from .events import PATCHES as EVENTS_PATCHES
from .iam_managed_policies import PATCHES as IAM_MANAGED_POLICY_PATCHES
from .model_tracking import PATCHES as MODEL_TRACKING_PATCHES
from .sqs import PATCHES as SQS_PATCHES
from .ec2_tags import PATCHES as EC2_TAG_PATCHES
from .lambda_code import PATCHES as LAMBDA_CODE_PATCHES
from .ecs_tasks import PATCHES as ECS_TASK_PATCHES
from .s3_expected_owner import PATCHES as S3_EXPECTED_OWNER_PATCHES
from .securityhub_findings import PATCHES as SECURITYHUB_FINDING_PATCHES
from .sns_subscriptions import PATCHES as SNS_SUBSCRIPTION_PATCHES
from .sns_message_structure import PATCHES as SNS_MESSAGE_STRUCTURE_PATCHES
from .cloudtrail_lookup import PATCHES as CLOUDTRAIL_LOOKUP_PATCHES
from .snapshot_lock import PATCHES as SNAPSHOT_LOCK_PATCHES

__all__ = ["apply_patches", "configure_default_account", "PATCHES"]

PATCHES = (
    EBS_SNAPSHOT_PATCHES
    + RDS_SNAPSHOT_PATCHES
    + NETWORK_INTERFACE_PATCHES
    + DYNAMODB_PATCHES
    + EVENTS_PATCHES
    + IAM_MANAGED_POLICY_PATCHES
    + MODEL_TRACKING_PATCHES
    + SQS_PATCHES
    + EC2_TAG_PATCHES
    + LAMBDA_CODE_PATCHES
    + ECS_TASK_PATCHES
    + S3_EXPECTED_OWNER_PATCHES
    + SECURITYHUB_FINDING_PATCHES
    + SNS_SUBSCRIPTION_PATCHES
    + SNS_MESSAGE_STRUCTURE_PATCHES
    + CLOUDTRAIL_LOOKUP_PATCHES
    + SNAPSHOT_LOCK_PATCHES
)


def apply_patches() -> None:
    """Install all of Firebreak's moto patches. Idempotent."""
    from . import (
        dynamodb,
        ebs_snapshots,
        ec2_tags,
        ecs_tasks,
        events,
        iam_managed_policies,
        lambda_code,
        model_tracking,
        network_interfaces,
        rds_snapshots,
        s3_expected_owner,
        securityhub_findings,
        sns_message_structure,
        sns_subscriptions,
        sqs,
        cloudtrail_lookup,
        snapshot_lock,
    )

    model_tracking.apply()
    ebs_snapshots.apply()
    rds_snapshots.apply()
    network_interfaces.apply()
    dynamodb.apply()
    events.apply()
    iam_managed_policies.apply()
    sqs.apply()
    ec2_tags.apply()
    lambda_code.apply()
    ecs_tasks.apply()
    s3_expected_owner.apply()
    securityhub_findings.apply()
    sns_subscriptions.apply()
    sns_message_structure.apply()
    cloudtrail_lookup.apply()
    snapshot_lock.apply()
