"""Hostile uploads to the statistics import: refused with a reason, nothing saved."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.conftest import client_for

from ..models import EduStatistics
from .conftest import workbook_bytes
from .test_import import HEADER, row


def post(client, user, name, data):
    client_for(client, user)
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post("/edustats/140500/import", {"year": "2021", "file": upload}, follow=True).content.decode()


def with_external_link(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.xml" '
                                          b'ContentType="application/vnd.openxmlformats-officedocument.'
                                          b'spreadsheetml.externalLink+xml"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", f'<Relationship Id="rIdX" Type="{rels}/externalLink" '
                                          'Target="externalLinks/externalLink1.xml"/></Relationships>'.encode())
            if item.filename == "xl/workbook.xml":
                content = content.replace(b"</workbook>", f'<externalReferences><externalReference xmlns:r="{rels}" '
                                          'r:id="rIdX"/></externalReferences></workbook>'.encode())
            z.writestr(item, content)
        z.writestr("xl/externalLinks/externalLink1.xml",
                   '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   f'<externalBook xmlns:r="{rels}" r:id="rId1"><sheetNames><sheetName val="x"/></sheetNames>'
                   '</externalBook></externalLink>')
        z.writestr("xl/externalLinks/_rels/externalLink1.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rels}/externalLinkPath" Target="file:///C:/secret.xlsx" '
                   'TargetMode="External"/></Relationships>')
    return out.getvalue()


def test_a_zip_bomb_named_xlsx(client, city_user):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(b"\0" * (1024 * 1024))
    assert "解压后的内容异常大" in post(client, city_user, "统计.xlsx", buf.getvalue())
    assert not EduStatistics.objects.exists()


def test_an_external_link(client, city_user):
    data = with_external_link(workbook_bytes([HEADER, row("140525")]))
    assert "外部链接" in post(client, city_user, "统计.xlsx", data)
    assert not EduStatistics.objects.exists()


def test_a_file_over_10_mb(client, city_user):
    assert "超过 10 MB" in post(client, city_user, "统计.xlsx", b"PK\x03\x04" + bytes(10 * 1024 * 1024 + 10))
    assert not EduStatistics.objects.exists()
