from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"
CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test gets its own analytics store directory and media root."""
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()
