"""Contains all the data models used in inputs/outputs"""

from .aspect_ratio import AspectRatio
from .create_image_request import CreateImageRequest
from .error_message import ErrorMessage
from .invalid_param import InvalidParam
from .mime_type import MimeType
from .problem import Problem
from .problem_details import ProblemDetails
from .reference_image import ReferenceImage
from .resolution import Resolution
from .task import Task
from .task_detail import TaskDetail
from .task_detail_response import TaskDetailResponse
from .task_list_response import TaskListResponse
from .task_status import TaskStatus
from .webhook_payload import WebhookPayload

__all__ = (
    "AspectRatio",
    "CreateImageRequest",
    "ErrorMessage",
    "InvalidParam",
    "MimeType",
    "Problem",
    "ProblemDetails",
    "ReferenceImage",
    "Resolution",
    "Task",
    "TaskDetail",
    "TaskDetailResponse",
    "TaskListResponse",
    "TaskStatus",
    "WebhookPayload",
)
