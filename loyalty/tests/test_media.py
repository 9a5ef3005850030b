"""Uploaded files are stored per schema and reachable only from their merchant."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory
from django_tenants.utils import schema_context

from loyalty.views import media

pytestmark = pytest.mark.django_db


def _forget_media_root() -> None:
    """django-tenants' storage caches MEDIA_ROOT and does not forget it when the
    setting changes (its setting_changed handler passes the wrong argument on)."""
    default_storage.path  # noqa: B018  (set the lazy storage up)
    default_storage._wrapped.__dict__.pop("relative_media_root", None)  # type: ignore[attr-defined]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _forget_media_root()
    yield tmp_path
    _forget_media_root()  # the settings fixture then puts MEDIA_ROOT back


def test_files_land_in_the_schemas_folder_and_stay_there(
    merchant_a, merchant_b, media_root
) -> None:
    tmp_path = media_root
    with schema_context(merchant_a.schema):
        name = default_storage.save("rewards/mug.png", ContentFile(b"\x89PNG fake"))
        url = default_storage.url(name)
        served = media(RequestFactory().get(url), url.removeprefix("/media/"))
    assert (tmp_path / merchant_a.schema / "rewards" / "mug.png").exists()
    assert url.startswith(f"/media/{merchant_a.schema}/rewards/")
    assert served.status_code == 200
    with schema_context(merchant_b.schema), pytest.raises(Http404):
        media(RequestFactory().get(url), url.removeprefix("/media/"))
