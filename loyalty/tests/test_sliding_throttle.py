"""The API's throttles count over a sliding window in one Redis round trip
(loyalty.ratelimit.sliding_hit): the limit and the wait, to the second."""

import datetime

import pytest
import redis.connection
import time_machine

from loyalty.ratelimit import sliding_hit

# 12:00:00 UTC: the start of a one-minute window.
START = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)


def test_three_a_minute_then_the_wait_until_the_window_slides() -> None:
    with time_machine.travel(START, tick=False):
        first_minute = [sliding_hit("t:a", limit=3, window=60) for _ in range(4)]
    # Half-way through the next minute the last one counts for half: 3 x 0.5 = 1.5.
    with time_machine.travel(START + datetime.timedelta(seconds=90), tick=False):
        next_minute = [sliding_hit("t:a", limit=3, window=60) for _ in range(3)]

    assert first_minute == [None, None, None, 60.0]
    # 1.5 + 0, 1.5 + 1 pass; 1.5 + 2 does not, until the previous share falls to 1/3:
    # 40 s into the minute, 10 s from now.
    assert next_minute == [None, None, pytest.approx(10.0)]


def test_keys_count_apart() -> None:
    with time_machine.travel(START, tick=False):
        a = [sliding_hit("t:one", limit=1, window=60) for _ in range(2)]
        b = sliding_hit("t:two", limit=1, window=60)
    assert a == [None, 60.0]
    assert b is None


def test_one_round_trip_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    sliding_hit("t:warm", limit=5, window=60)  # the script is loaded once per client
    sent: list[object] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self: object, command: object, check_health: bool = True) -> None:
        sent.append(command)
        original(self, command, check_health)  # type: ignore[arg-type]

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    sliding_hit("t:b", limit=5, window=60)
    assert len(sent) == 1
