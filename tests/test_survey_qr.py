"""The QR code printed on the result slip: it holds the dossier's survey link, reads well when printed
(error correction M, a quiet border) and is cached for as long as the token lives."""
import base64
import re
import xml.etree.ElementTree as ET

import png
import pytest
import qrcode

from feedback import dossiers

BOX, BORDER = 10, 4


def _expected(url):
    """The modules (with the quiet border) of the QR code of url at error-correction level M, made apart."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def _survey_url(app, dossier):
    with app.test_request_context():
        return dossiers.survey_url(dossier)


def test_the_png_holds_the_survey_link_with_error_correction_m_and_a_quiet_border(app, client, make_dossier):
    dossier = make_dossier()
    response = client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    width, height, rows, _info = png.Reader(bytes=response.data).read()
    pixels = [list(row) for row in rows]
    modules = _expected(_survey_url(app, dossier))
    assert width == height == len(modules) * BOX
    dark = [[pixels[y * BOX + BOX // 2][x * BOX + BOX // 2] == 0 for x in range(len(modules))]
            for y in range(len(modules))]
    assert dark == modules
    assert not any(modules[y][x] for y in range(BORDER) for x in range(len(modules)))  # the quiet border


def test_the_svg_holds_the_same_code(app, client, make_dossier):
    dossier = make_dossier()
    response = client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    modules = _expected(_survey_url(app, dossier))
    assert root.get("viewBox") == f"0 0 {len(modules)} {len(modules)}"
    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", path)}
    assert dark == {(x, y) for y, row in enumerate(modules) for x, value in enumerate(row) if value}
    assert b"<script" not in response.data


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_the_code_is_cached_for_as_long_as_the_token_lives(client, make_dossier, fmt):
    dossier = make_dossier()
    response = client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.{fmt}")
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "no-store" not in cache


def test_an_answered_dossier_keeps_its_code(client, make_dossier):
    dossier = make_dossier()
    client.post(f"/danh-gia/{dossier.survey_token}", data={"rating": "3"})
    assert client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.png").status_code == 200


def test_an_unknown_token_has_no_code(client):
    assert client.get("/danh-gia/khong-co-ma-nay/ma-qr.png").status_code == 404
    assert client.get("/danh-gia/khong-co-ma-nay/ma-qr.svg").status_code == 404


def test_only_png_and_svg_are_offered(client, make_dossier):
    dossier = make_dossier()
    assert client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.gif").status_code == 404


def test_the_token_is_long_random_and_not_made_from_the_code(make_dossier):
    first, second = make_dossier(code="H21.00001-261121-0001"), make_dossier(code="H21.00002-261121-0001")
    for dossier in (first, second):
        token = dossier.survey_token
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
        assert dossier.code not in token and "H21" not in token
    assert first.survey_token[:8] != second.survey_token[:8]


def test_the_api_links_point_to_these_addresses(app, make_dossier):
    dossier = make_dossier()
    with app.test_request_context():
        assert dossiers.survey_url(dossier).endswith(f"/danh-gia/{dossier.survey_token}")
        assert dossiers.qr_url(dossier, "svg").endswith(f"/danh-gia/{dossier.survey_token}/ma-qr.svg")
