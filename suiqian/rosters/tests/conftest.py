import pytest

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def operator(shanxi):
    return Scope.system()
