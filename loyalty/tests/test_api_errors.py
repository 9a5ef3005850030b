import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_paths_answer_in_the_error_shape(merchant_a, host_client) -> None:
    response = host_client(merchant_a.host).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Nothing is here."}}


def test_wrong_method_answers_in_the_error_shape(merchant_a, host_client) -> None:
    response = host_client(merchant_a.host).post(
        "/api/v1/merchant", data="{}", content_type="application/json"
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_openapi_schema_and_docs_are_served(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/merchant" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_an_oversized_body_is_refused_with_413(merchant_a) -> None:
    from tests.api import api

    huge = '{"phone": "' + "9" * (3 * 1024 * 1024) + '"}'
    response = api("localhost").post(
        "/api/v1/auth/otp/request", data=huge, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
