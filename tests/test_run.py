"""`jakisynth run`'s figure rendering: a progress line only on a terminal."""

import io

from jakisynth.run import _progress_line


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_only_on_a_terminal():
    assert _progress_line("drawing figures", io.StringIO()) is None  # pipe, log, CI: silent
    stream = _Terminal()
    progress = _progress_line("drawing figures", stream)
    progress(0, 3)
    progress(2, 3)
    assert stream.getvalue() == "\rdrawing figures: 0/3\rdrawing figures: 2/3"
    progress(3, 3)  # done: the line is cleared, nothing is left on the terminal
    assert stream.getvalue().endswith("\r" + " " * len("drawing figures: 3/3") + "\r")
