"""Figure files: a device such as /dev/full is refused, never turned into
/dev/full.png with exit status 0 (issue 20, item 14)."""

import os

import pytest

from calckit.cli import main


def refused(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert status == 2 and out == "", (status, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [
    ("plot", "taylor", "exp(x)", "-o", "/dev/full"),
    ("plot", "taylor", "exp(x)", "--out", "/dev/full"),
    ("diff", "x**2", "--plot", "/dev/full"),
    ("grad", "x*y", "--plot", "/dev/full"),
    ("optimize", "x**2", "--x0", "1", "--plot", "/dev/full"),
])
def test_a_device_is_refused_before_any_work(capsys, argv):
    existed = os.path.exists("/dev/full.png")
    err = refused(capsys, *argv)
    assert "'/dev/full'" in err and "not a regular file" in err
    assert "optimizing" not in err
    assert os.path.exists("/dev/full.png") == existed


def test_a_pipe_is_refused(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in refused(capsys, "plot", "derivatives", "x**2",
                                           "-o", str(fifo))


def test_an_existing_file_is_overwritten_as_asked(capsys, tmp_path):
    png = tmp_path / "old.png"
    png.write_bytes(b"old")
    assert main(["plot", "derivatives", "x**2", "-o", str(png)]) == 0
    assert capsys.readouterr().out.strip() == f"figure written to {png}"
    assert png.read_bytes()[:4] == b"\x89PNG"
