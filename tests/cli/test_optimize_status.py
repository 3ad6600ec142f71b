"""``calckit optimize`` exits 0 only when the run converged: 1 when it did
not converge or diverged (as a failed gradcheck does), 2 on bad input
(issue 19)."""

import json

import pytest

from calckit.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("argv, expected, word", [
    (("--optimizer", "newton", "--steps", "50"), 0, "converged"),
    (("--optimizer", "sgd", "--lr", "0.01", "--steps", "20"), 1, "not converged"),
    (("--optimizer", "sgd", "--lr", "1.1", "--steps", "5000"), 1, "diverged"),
])
def test_exit_status_follows_the_result(capsys, argv, expected, word):
    status, out, _ = run(capsys, "optimize", "x**2 + 10", "--x0", "3", *argv)
    assert status == expected
    assert out.splitlines()[-1] == f"status: {word}"
    status, out, _ = run(capsys, "optimize", "x**2 + 10", "--x0", "3", *argv,
                         "--json")
    assert status == expected and json.loads(out)["status"] == word


def test_the_exit_status_is_in_the_command_help(capsys):
    assert main(["optimize", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status 0 when it converged" in out and "1 when it did not" in out
