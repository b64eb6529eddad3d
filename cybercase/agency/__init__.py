"""Agency deployment (optional extra): S3 Object Lock replicas, a PostgreSQL index and queue.

Importing this package needs none of the extra's packages (boto3, psycopg, procrastinate):
each is imported where it is used, and its absence is one message (:func:`not_installed`).
"""

from cybercase.agency.extras import not_installed
from cybercase.agency.queue import QueuedUrl, add_urls, queue_counts
from cybercase.agency.replica import Replica, Retention
from cybercase.agency.replica_verify import verify_against
from cybercase.agency.replicate import ReplicationResult, replicate
from cybercase.agency.restore import RestoreResult, restore
from cybercase.agency.shared_index import PublishReport, publish_index
from cybercase.agency.shared_search import SharedRequest, search_shared, shared_requests
from cybercase.agency.worker import CaptureService, WorkerOptions, run_worker

__all__ = [
    "CaptureService",
    "PublishReport",
    "QueuedUrl",
    "Replica",
    "ReplicationResult",
    "RestoreResult",
    "Retention",
    "SharedRequest",
    "WorkerOptions",
    "add_urls",
    "not_installed",
    "publish_index",
    "queue_counts",
    "replicate",
    "restore",
    "run_worker",
    "search_shared",
    "shared_requests",
    "verify_against",
]
