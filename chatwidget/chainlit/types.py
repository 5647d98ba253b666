"""``chainlit.types``: the shapes handlers receive and data layers speak."""

from ..audio import InputAudioChunk, OutputAudioChunk
from ..data.types import PageInfo, PaginatedResponse, Pagination, ThreadDict, ThreadFilter
from ..types import AskFileResponse, ChatProfile, Command, Feedback, Starter, StarterCategory

__all__ = [
    "AskFileResponse",
    "ChatProfile",
    "Command",
    "Feedback",
    "InputAudioChunk",
    "OutputAudioChunk",
    "PageInfo",
    "PaginatedResponse",
    "Pagination",
    "Starter",
    "StarterCategory",
    "ThreadDict",
    "ThreadFilter",
]
