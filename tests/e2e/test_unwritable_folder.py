"""A data folder that cannot be written stops the start in words, not a traceback on stderr
that nobody starting the app from a menu sees."""

from __future__ import annotations

import os
from pathlib import Path

from tests.gui.test_address_refused import start_printing_boxes


def test_a_folder_that_cannot_be_made_is_told_in_a_dialog(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    env = {
        **os.environ, "QT_QPA_PLATFORM": "offscreen",
        "WRITER_DESKTOP_HOME": str(in_the_way / "home"), "WRITER_API_KEY": "test-key",
    }  # fmt: skip
    result = start_printing_boxes(env)
    assert result.returncode == 1
    assert f"BOX: Writer Desktop cannot write to its folder {in_the_way}" in result.stdout
    assert "Your conversations there are unchanged." in result.stdout
    assert "Traceback" not in result.stderr
    assert "cannot write to its folder" in result.stderr  # also for whoever ran it in a shell
