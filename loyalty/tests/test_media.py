"""Uploaded files are stored per schema and reachable only from their merchant."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory
from django_tenants.utils import schema_context

from loyalty.views import media

pytestmark = pytest.mark.django_db


def test_files_land_in_the_schemas_folder_and_stay_there(
    merchant_a, merchant_b, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with schema_context(merchant_a.schema):
        name = default_storage.save("rewards/mug.png", ContentFile(b"\x89PNG fake"))
        url = default_storage.url(name)
        served = media(RequestFactory().get(url), url.removeprefix("/media/"))
    assert (tmp_path / merchant_a.schema / "rewards" / "mug.png").exists()
    assert url.startswith(f"/media/{merchant_a.schema}/rewards/")
    assert served.status_code == 200
    with schema_context(merchant_b.schema), pytest.raises(Http404):
        media(RequestFactory().get(url), url.removeprefix("/media/"))
