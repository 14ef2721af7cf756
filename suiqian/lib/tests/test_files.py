"""Decompression and parse limits shared by every upload kind: refused with a clear message, without
holding what the file would unpack to."""

import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.lib import files
from suiqian.tests import hostile_files

MiB = 1024 * 1024


def within(limit_bytes, action):
    """Run `action`, returning its exception and the peak of Python memory it took."""
    tracemalloc.start()
    try:
        action()
    except Exception as e:  # noqa: BLE001 — the refusal is what we look at
        error = e
    else:
        error = None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < limit_bytes, f"peak {peak / MiB:.0f} MB"
    return error


def test_a_pdf_whose_stream_inflates_past_the_cap_is_refused_without_inflating_it():
    bomb = hostile_files.pdf_bomb(256 * MiB)  # `make bench` uses the full 1 GiB
    assert len(bomb) < MiB
    error = within(16 * MiB, lambda: files.sniff_document_type(bomb))
    assert isinstance(error, files.LimitExceeded) and "解压后异常大" in str(error)


def test_a_docx_bomb_is_refused_by_its_stream_not_only_its_directory():
    bomb = hostile_files.docx_bomb(300 * MiB)
    error = within(16 * MiB, lambda: files.sniff_document_type(bomb))
    assert isinstance(error, files.LimitExceeded) and "异常" in str(error)


def test_a_roster_xlsx_with_one_huge_shared_string_is_refused(tmp_path):
    path = tmp_path / "名册"  # stored uploads have no extension: the content decides
    path.write_bytes(hostile_files.xlsx_shared_string_bomb(512 * MiB))  # bench: 4 GiB
    assert path.stat().st_size < 2 * MiB
    started = time.monotonic()
    error = within(16 * MiB, lambda: files.check_spreadsheet(path))
    assert isinstance(error, files.LimitExceeded) and "压缩比异常" in str(error)
    assert time.monotonic() - started < 10


def test_an_xls_is_bounded_by_its_size(tmp_path):
    path = tmp_path / "名册.xls"
    with open(path, "wb") as f:
        f.write(files.OLE_MAGIC + b"\xa1\xb1\x1a\xe1")
        f.truncate(files.ROSTER_WORKBOOK.max_bytes + 1)
    with pytest.raises(files.LimitExceeded, match="文件超过 200 MB"):
        files.check_spreadsheet(path)


def test_a_pdf_with_too_many_pages_is_refused():
    pdf = hostile_files.long_pdf(3)
    with pytest.raises(files.LimitExceeded, match="超过 2 页"):
        files.check_limits(pdf, files.Limits(max_bytes=files.MAX_DOCUMENT_BYTES, max_unzipped=MiB, max_pages=2))
    assert files.check_pdf(pdf, files.DOCUMENT) == 3


def test_ordinary_files_pass():
    from suiqian.conftest import docx_bytes

    assert files.sniff_document_type(docx_bytes("第一条 随迁子女入学。")) == "docx"
    assert files.sniff_document_type(hostile_files.long_pdf(2)) == "pdf"


# --- the parse ceiling ----------------------------------------------------------------------

def hog_memory(data: bytes, megabytes: int) -> int:
    return len(bytearray(megabytes * MiB))


def spin(data: bytes, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def refuse(data: bytes) -> None:
    raise ValueError("文件已损坏")


def echo(data: bytes, suffix: str) -> str:
    return data.decode() + suffix


def test_a_parse_runs_in_a_child_under_a_memory_and_time_ceiling():
    small = files.Limits(max_bytes=MiB, max_unzipped=MiB, max_seconds=3, max_memory=64 * MiB)
    here = "suiqian.lib.tests.test_files"
    assert files.run_limited(f"{here}:echo", "文本".encode(), "！", limits=small) == "文本！"
    with pytest.raises(files.ParseLimitError, match="内存超过上限"):
        files.run_limited(f"{here}:hog_memory", b"", 512, limits=small)
    started = time.monotonic()
    with pytest.raises(files.ParseLimitError, match="超过 3 秒"):
        files.run_limited(f"{here}:spin", b"", 30, limits=small)
    assert time.monotonic() - started < 10
    with pytest.raises(files.DocumentTypeError, match="文件已损坏"):
        files.run_limited(f"{here}:refuse", b"", limits=small)


def test_read_upload_refuses_past_the_limit_before_reading_whatever_the_caller_passes(tmp_path):
    limits = files.Limits(max_bytes=10, max_unzipped=10)
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    for fitting in (b"0123456789", SimpleUploadedFile("f.bin", b"0123456789"), path):
        assert files.read_upload(fitting, limits) == b"0123456789"
    path.write_bytes(b"01234567890")
    for too_big in (b"01234567890", SimpleUploadedFile("f.bin", b"01234567890"), path):
        with pytest.raises(files.LimitExceeded, match="超过"):
            files.read_upload(too_big, limits)
