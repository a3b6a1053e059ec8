"""TikTok's documented Content Posting rules, as the sandbox enforces them: privacy levels and chunk sizes."""

from __future__ import annotations

MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 1000


def privacy_options(audited: bool) -> list[str]:
    """Return creator_info's privacy_level_options: an unaudited app may only post privately."""
    if not audited:
        return ["SELF_ONLY"]
    return ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]


def chunk_problem(video_size: int, chunk_size: int, total_chunk_count: int) -> str | None:
    """Say which of TikTok's chunk rules a FILE_UPLOAD breaks, or return None."""
    if min(video_size, chunk_size, total_chunk_count) < 1:
        return "video_size, chunk_size and total_chunk_count must be positive."
    if video_size < MIN_CHUNK:
        if chunk_size != video_size or total_chunk_count != 1:
            return "A video under 5 MB must be sent whole: chunk_size = video_size and total_chunk_count = 1."
        return None
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        return "chunk_size must be between 5 MB and 64 MB."
    if chunk_size > video_size:
        return "chunk_size cannot exceed video_size."
    if total_chunk_count != video_size // chunk_size:
        return f"total_chunk_count must be video_size // chunk_size = {video_size // chunk_size}."
    if total_chunk_count > MAX_CHUNKS:
        return "A video may be sent in at most 1000 chunks."
    if video_size > MAX_CHUNK and total_chunk_count < 2:
        return "A video over 64 MB must be sent in several chunks."
    # The last chunk is chunk_size plus the remainder, so under 2 x 64 MB: TikTok's 128 MB cap always holds.
    return None
