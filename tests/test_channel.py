# tests/test_channel.py: the Stackless-style rendezvous channel.
import pytest

import uthread


def test_send_parks_until_received_and_balance():
    sched = uthread.Scheduler()
    ch = uthread.channel()
    log = []

    def sender(k):
        log.append(("send", k))
        ch.send(k)
        log.append(("sent", k))

    sched.spawn(sender, 1)
    sched.spawn(sender, 2)
    sched.run(ticks=50)
    assert ch.balance == 2
    assert ch.receive() == 1                 # host code may receive from a waiting sender
    sched.run(ticks=50)
    assert ("sent", 1) in log and ("sent", 2) not in log
    assert ch.balance == 1

    def receiver():
        return ch.receive()

    r = sched.spawn(receiver)
    sched.run()
    assert r.result() == 2 and ch.balance == 0


def test_receivers_wait_negative_balance_fifo():
    sched = uthread.Scheduler()
    ch = uthread.channel()
    got = []

    def receiver(k):
        got.append((k, ch.receive()))

    for k in range(3):
        sched.spawn(receiver, k)
    sched.run(ticks=50)
    assert ch.balance == -3
    for x in "abc":
        ch.send(x)                           # host: receivers are waiting, no block
    sched.run()
    assert got == [(0, "a"), (1, "b"), (2, "c")]


def test_send_exception():
    sched = uthread.Scheduler()
    ch = uthread.channel()

    def receiver():
        with pytest.raises(KeyError, match="boom"):
            ch.receive()
        return "ok"

    def sender():
        ch.send_exception(KeyError, "boom")

    r = sched.spawn(receiver)
    sched.spawn(sender)
    sched.run()
    assert r.result() == "ok"
    with pytest.raises(TypeError):
        ch.send_exception("not a type")


def test_iteration_until_closed():
    sched = uthread.Scheduler()
    ch = uthread.channel()

    def producer():
        for i in range(5):
            ch.send(i)
        ch.close()

    def consumer():
        return list(ch)

    sched.spawn(producer)
    c = sched.spawn(consumer)
    sched.run()
    assert c.result() == [0, 1, 2, 3, 4]
    assert ch.closed
    with pytest.raises(uthread.ChannelClosed):
        ch.send(1)
    with pytest.raises(uthread.ChannelClosed):
        ch.receive()


def test_close_wakes_waiting_receivers_and_drains_senders():
    sched = uthread.Scheduler()
    ch = uthread.channel()

    def receiver():
        with pytest.raises(uthread.ChannelClosed):
            ch.receive()
        return "woken"

    r = sched.spawn(receiver)
    sched.run(ticks=20)
    ch.close()
    sched.run()
    assert r.result() == "woken"

    ch2 = uthread.channel()
    s = sched.spawn(ch2.send, "last")
    sched.run(ticks=20)
    ch2.close()
    assert ch2.closing and not ch2.closed
    assert ch2.receive() == "last"
    sched.run()
    assert ch2.closed and not s.alive


def test_timeouts_and_kill_while_parked():
    sched = uthread.Scheduler()
    ch = uthread.channel()

    def impatient_receiver():
        with pytest.raises(uthread.Timeout):
            ch.receive(timeout=0.01)

    def impatient_sender():
        with pytest.raises(uthread.Timeout):
            ch.send("x", timeout=0.01)

    a = sched.spawn(impatient_receiver)
    sched.run()
    b = sched.spawn(impatient_sender)
    sched.run()
    a.result(), b.result()
    assert ch.balance == 0

    k = sched.spawn(ch.send, "never")
    sched.run(ticks=10)
    assert ch.balance == 1
    k.kill()
    assert ch.balance == 0
    sched.run()
    assert k.killed


def test_outside_a_microthread():
    ch = uthread.channel()
    with pytest.raises(uthread.OutsideMicrothreadError):
        ch.receive()
    with pytest.raises(uthread.OutsideMicrothreadError):
        ch.send(1)
    with pytest.raises(uthread.Timeout):
        ch.receive(timeout=0)
    with pytest.raises(ValueError):
        ch.receive(timeout=-1)
