from __future__ import annotations

import pytest
from sdk_fake import FakeCapture


@pytest.fixture
def fake() -> FakeCapture:
    return FakeCapture()
