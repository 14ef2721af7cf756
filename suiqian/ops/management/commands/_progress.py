"""Progress lines shared by `backup` and `restore`: elapsed seconds, then the step."""

import time


def progress_writer(command):
    started = time.monotonic()

    def write(message: str) -> None:
        command.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")
        command.stdout.flush()

    return write
