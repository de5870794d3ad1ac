"""Importing completed dossiers from a CSV file: the preview with every row's problems, all or nothing."""
import io
import os
import re
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from extensions import db
from feedback.survey_models import Channel, Dossier

HEADER = ("code,procedure_name,procedure_code,field,agency_code,received_at,due_at,completed_at,channel,"
          "applicant_name,applicant_phone,applicant_email")


@pytest.fixture(autouse=True)
def imports_dir(app, tmp_path, monkeypatch):
    """Uploads wait in a folder of this test's own."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "imports"


@pytest.fixture
def agency(make_agency):
    return make_agency(code="SO-NHAP", name="Sở Nhập liệu")


@pytest.fixture
def staff(login_as, agency, client):
    client.set_cookie("lang", "en")
    return login_as(Role.STAFF, agency=agency)


def row(code, agency="SO-NHAP", procedure="Đăng ký khai sinh", completed="2025-10-03T10:00:00", channel="online",
        received="2025-10-01T08:00:00", due="2025-10-06", phone="0912345678"):
    return (f"{code},{procedure},1.001193,Hộ tịch,{agency},{received},{due},{completed},{channel},"
            f"Nguyễn Thị Thử,{phone},thu@example.vn")


def csv_bytes(*rows, header=HEADER):
    return ("\n".join((header, *rows)) + "\n").encode()


def upload(client, content, filename="ho-so.csv"):
    return client.post("/can-bo/ho-so/nhap", data={"action": "upload", "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def preview(client):
    return client.get("/can-bo/ho-so/nhap").get_data(as_text=True)


def token_of(html):
    found = re.search(r'name="token" value="([^"]+)"', html)
    return found.group(1) if found else None


def confirm(client, html):
    return client.post("/can-bo/ho-so/nhap", data={"action": "confirm", "token": token_of(html) or "x"})


def stored_codes():
    return set(db.session.scalars(sa.select(Dossier.code)))


def test_a_good_file_is_previewed_then_imported_once(client, staff, agency, imports_dir):
    response = upload(client, csv_bytes(row("CSV-0001"), row("CSV-0002", channel="counter")))
    assert response.status_code == 303 and response.headers["Location"] == "/can-bo/ho-so/nhap"
    assert len(list(imports_dir.glob("*.json"))) == 1
    html = preview(client)
    assert "ho-so.csv" in html and "CSV-0001" in html and "CSV-0002" in html
    assert html.count(">New</strong>") == 2 and "Import 2 dossiers" in html
    assert stored_codes() == set()  # nothing stored before the confirmation
    response = confirm(client, html)
    assert response.status_code == 303 and response.headers["Location"] == "/can-bo/ho-so"
    db.session.expire_all()
    dossiers = db.session.scalars(sa.select(Dossier).order_by(Dossier.code)).all()
    assert [d.code for d in dossiers] == ["CSV-0001", "CSV-0002"]
    assert all(d.source == "csv" and d.agency_id == agency.id and d.survey_token for d in dossiers)
    assert dossiers[1].channel is Channel.COUNTER and dossiers[0].applicant_phone == "0912345678"
    assert list(imports_dir.glob("*.json")) == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "dossiers.import"))
    assert entry.actor_id == staff.id and entry.details["created"] == 2 and entry.details["file"] == "ho-so.csv"
    assert "new dossiers: 2; completed: 0; already stored: 0." in client.get("/can-bo/ho-so").get_data(as_text=True)
    # Confirming again (a double click, the back button) stores nothing more.
    again = confirm(client, html)
    assert again.status_code == 303
    assert "There is no file waiting to be imported" in client.get("/can-bo/ho-so/nhap").get_data(as_text=True)
    assert len(stored_codes()) == 2


def test_one_bad_row_keeps_the_whole_file_out_and_says_where(client, staff):
    content = csv_bytes(row("BAD-0001"), row("BAD-0002", completed="hôm qua"), row("BAD-0003", channel="fax"))
    upload(client, content)
    html = preview(client)
    assert "Nothing has been imported" in html and token_of(html) is None
    assert "Row 3, completed_at: Use a date like 21/11/2026 or 21/11/2026 08:30." in html
    assert "Row 4, channel: Use one of:" in html
    assert 'id="row-3"' in html and 'href="#row-3"' in html
    # A confirmation sent anyway is refused, and nothing is stored.
    with client.session_transaction() as session:
        token = session["dossier_import"]
    response = client.post("/can-bo/ho-so/nhap", data={"action": "confirm", "token": token})
    assert response.status_code == 422
    assert "Nothing can be imported while rows have errors" in response.get_data(as_text=True)
    assert stored_codes() == set()


def test_conflicts_with_stored_dossiers_and_repeats_inside_the_file_are_shown(client, staff, agency, make_dossier):
    make_dossier(agency=agency, code="KNOWN-0001", procedure="Cấp giấy phép xây dựng")
    make_dossier(code="ELSEWHERE-0001")
    content = csv_bytes(row("KNOWN-0001"), row("ELSEWHERE-0001"), row("TWICE-0001"),
                        row("TWICE-0001", procedure="Chứng thực bản sao từ bản chính"))
    upload(client, content)
    html = preview(client)
    assert "Row 2, code: A different dossier with this code is already stored." in html
    assert "Row 3, code: A different dossier with this code is already stored." in html
    assert "Row 5, code: This dossier code is already on row 4 of the file." in html
    assert token_of(html) is None and "Conflicts: <strong>3</strong>" in html
    assert "TWICE-0001" not in stored_codes()


def test_bom_semicolons_vietnamese_headers_and_day_first_dates_are_read(client, staff, agency):
    text = ("Mã hồ sơ;Tên thủ tục;Lĩnh vực;Ngày tiếp nhận;Ngày hẹn trả;Ngày hoàn thành;Kênh;Số điện thoại;STT\n"
            "VN-0001;Đổi giấy phép lái xe;Giao thông vận tải;01/10/2025 08:30;06/10/2025;03/10/2025 14:05;"
            "Trực tuyến;912 345 678;1\n"
            "VN-0002;Đổi giấy phép lái xe;Giao thông vận tải;1/10/2025;6/10/2025;2/10/2025;tại quầy;;2\n"
            "VN-0003;Đổi giấy phép lái xe;Giao thông vận tải;01/10/2025;06/10/2025;02/10/2025;buu_chinh;;3\n")
    upload(client, "\ufeff".encode() + text.encode())
    html = preview(client)
    assert "These columns are not known and will be ignored: STT." in html
    response = confirm(client, html)
    assert response.status_code == 303
    db.session.expire_all()
    first = db.session.scalar(sa.select(Dossier).where(Dossier.code == "VN-0001"))
    assert first.received_at == datetime(2025, 10, 1, 1, 30)  # 08:30 in Vietnam
    assert first.completed_at == datetime(2025, 10, 3, 7, 5)
    assert first.due_at == datetime(2025, 10, 6, 16, 59, 59)  # a due date alone is the end of that day
    assert first.channel is Channel.ONLINE and first.applicant_phone == "0912345678"
    assert first.agency_id == agency.id and first.procedure.name == "Đổi giấy phép lái xe"
    channels = dict(db.session.execute(sa.select(Dossier.code, Dossier.channel)).all())
    assert channels["VN-0002"] is Channel.COUNTER and channels["VN-0003"] is Channel.POSTAL


def test_excel_naming_its_separator_on_the_first_line_is_understood(client, staff):
    upload(client, b"sep=;\r\n" + csv_bytes(row("SEP-0001")).replace(b",", b";"))
    html = preview(client)
    assert "SEP-0001" in html and 'id="row-2"' in html and token_of(html)


def test_staff_may_import_only_their_agencys_dossiers(client, staff, make_agency):
    make_agency(code="SO-KHAC")
    upload(client, csv_bytes(row("OWN-0001", agency=""), row("OTHER-0001", agency="SO-KHAC"),
                             row("LOWER-0001", agency="so-nhap")))
    html = preview(client)
    assert "Row 3, agency_code: You may import only dossiers of your agency (SO-NHAP)." in html
    assert html.count(">New</strong>") == 2
    assert stored_codes() == set()


def test_an_admin_must_name_the_agency(client, login_as, agency):
    client.set_cookie("lang", "en")
    login_as(Role.ADMIN)
    header = HEADER.replace("agency_code,", "")
    content = csv_bytes("X-1,Đăng ký khai sinh,,Hộ tịch,2025-10-01,,2025-10-02,online,,,", header=header)
    html = upload(client, content).get_data(as_text=True)
    assert "Columns missing: agency_code." in html
    upload(client, csv_bytes(row("ADMIN-0001"), row("ADMIN-0002", agency="KHONG-CO")))
    html = preview(client)
    assert "Row 3, agency_code: No agency has this code." in html


def test_an_open_dossier_stored_earlier_is_completed_by_the_file(client, staff, agency):
    from feedback import dossiers

    data = {"code": "OPEN-0001", "procedure": {"name": "Đăng ký khai sinh", "code": "1.001193"}, "field": "Hộ tịch",
            "agency_code": agency.code, "received_at": "2025-10-01T08:00:00", "due_at": "2025-10-06",
            "channel": "online", "applicant": {"name": "Nguyễn Thị Thử", "phone": "0912345678",
                                               "email": "thu@example.vn"}}
    assert dossiers.intake_one(data).status == dossiers.CREATED
    db.session.commit()
    upload(client, csv_bytes(row("OPEN-0001"), row("NEW-0001")))
    html = preview(client)
    assert "Completes a stored open dossier" in html and "Import 2 dossiers" in html
    assert confirm(client, html).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(Dossier.completed_at).where(Dossier.code == "OPEN-0001")) is not None


def test_a_file_already_imported_has_nothing_to_import(client, staff):
    upload(client, csv_bytes(row("SAME-0001")))
    confirm(client, preview(client))
    upload(client, csv_bytes(row("SAME-0001")))
    html = preview(client)
    assert "Nothing to import: every dossier of this file is already stored." in html and token_of(html) is None


@pytest.mark.parametrize("content,filename,message", [
    (b"", "ho-so.csv", "The file is empty."),
    (b"   \r\n", "ho-so.csv", "The file is empty."),
    (HEADER.encode() + b"\n", "ho-so.csv", "The file holds column names but no dossier."),
    ("Mã,Tên\nA,B\n".encode("latin-1"), "ho-so.csv", "The file is not in UTF-8."),
    ("Mã hồ sơ,Tên thủ tục\nA,B\n".encode("utf-16"), "ho-so.csv", "The file is not in UTF-8."),
    (b"PK\x03\x04\x14\x00\x06\x00", "ho-so.xlsx", "This is a spreadsheet workbook, not a CSV file."),
    (b"%PDF-1.4 \x00\x01", "ho-so.pdf", "Choose a CSV file (its name ends in .csv)."),
    (b"hello,world\n1,2\n", "ho-so.csv", "This file is not a CSV file of dossiers"),
    (b"code,procedure_name,received_at\nA,B,2025-10-01\n", "ho-so.csv",
     "Columns missing: completed_at, channel."),
    (b"code,ma_ho_so,procedure_name\n", "ho-so.csv", "The column ma_ho_so appears twice."),
])
def test_files_that_cannot_be_imported_are_refused_with_a_clear_message(client, staff, imports_dir,
                                                                        content, filename, message):
    response = upload(client, content, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'aria-invalid="true"' in html and "error-summary" in html
    assert list(imports_dir.glob("*.json")) == []


def test_a_file_must_be_chosen(client, staff):
    response = client.post("/can-bo/ho-so/nhap", data={"action": "upload"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a CSV file." in response.get_data(as_text=True)


def test_the_size_and_row_limits(client, staff):
    big = csv_bytes(*(row(f"BIG-{n:05d}") for n in range(5001)))
    response = upload(client, big)
    assert response.status_code == 422
    assert "The file has more than 5,000 dossiers." in response.get_data(as_text=True)
    huge = HEADER.encode() + b"\n" + b"x" * (2 * 1024 * 1024)
    response = upload(client, huge)
    assert response.status_code == 422 and "The file is larger than 2 MB." in response.get_data(as_text=True)


def test_five_thousand_rows_are_checked_and_imported_quickly(client, staff):
    started = time.monotonic()
    upload(client, csv_bytes(*(row(f"MANY-{n:05d}") for n in range(5000))))
    html = preview(client)
    assert "Import 5,000 dossiers" in html
    assert confirm(client, html).status_code == 303
    assert len(stored_codes()) == 5000
    assert time.monotonic() - started < 30


def test_the_template_can_be_downloaded_and_its_example_row_is_refused(client, staff):
    response = client.get("/can-bo/ho-so/nhap/mau.csv")
    body = response.get_data()
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert body.startswith("\ufeff".encode()) and body.decode("utf-8-sig").startswith(HEADER)
    assert "SO-NHAP" in body.decode()
    upload(client, body)
    assert "This is the template&#39;s example row: delete it." in preview(client)


def test_cancelling_deletes_the_waiting_file(client, staff, imports_dir):
    upload(client, csv_bytes(row("CANCEL-0001")))
    assert len(list(imports_dir.glob("*.json"))) == 1
    response = client.post("/can-bo/ho-so/nhap", data={"action": "cancel"})
    assert response.status_code == 303 and list(imports_dir.glob("*.json")) == []
    assert "CANCEL-0001" not in preview(client)


def test_an_upload_left_waiting_for_an_hour_is_deleted(client, staff, imports_dir):
    upload(client, csv_bytes(row("OLD-0001")))
    path = next(imports_dir.glob("*.json"))
    an_hour_ago = time.time() - 3700
    os.utime(path, (an_hour_ago, an_hour_ago))
    html = preview(client)
    assert "OLD-0001" not in html and not path.exists()


def test_another_persons_session_does_not_see_the_upload(app, client, staff, agency, make_user):
    upload(client, csv_bytes(row("MINE-0001")))
    assert "MINE-0001" in preview(client)
    other = app.test_client()
    colleague = make_user(Role.STAFF, agency=agency)
    from testapp import PASSWORD

    assert other.post("/dang-nhap", data={"email": colleague.email, "password": PASSWORD}).status_code == 302
    assert "MINE-0001" not in other.get("/can-bo/ho-so/nhap").get_data(as_text=True)


def test_the_upload_needs_its_csrf_token(app, client, staff, imports_dir):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token"' in preview(client)
        assert upload(client, csv_bytes(row("CSRF-0001"))).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert list(imports_dir.glob("*.json")) == []
