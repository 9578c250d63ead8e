"""RemoteMonitor posts each epoch's logs to a server on 127.0.0.1, as Keras sends them."""

from __future__ import annotations

import json
import urllib.parse

import pytest

import deepgrad as dg

from local_http import closed_port_url, serve


@pytest.mark.parametrize("send_as_json", [False, True])
def test_posts_every_epoch(data, make_model, send_as_json):
    x, y, xv, yv = data
    with serve() as server:
        monitor = dg.callbacks.RemoteMonitor(root=server.url, path="/events/", field="payload",
                                             headers={"X-Run": "7"}, send_as_json=send_as_json)
        history = make_model(metrics=["mae"]).fit(x, y, epochs=2, verbose=0,
                                                  validation_data=(xv, yv), callbacks=[monitor])
    posts = [r for r in server.requests if r[0] == "POST"]
    assert [r[1] for r in posts] == ["/events/", "/events/"]
    for epoch, (_, _, body, headers) in enumerate(posts):
        assert headers["X-Run"] == "7"
        if send_as_json:
            assert headers["Content-Type"] == "application/json"
            sent = json.loads(body)
        else:
            assert headers["Content-Type"] == "application/x-www-form-urlencoded"
            sent = json.loads(urllib.parse.parse_qs(body.decode())["payload"][0])
        assert sent["epoch"] == epoch
        for key in ("loss", "mae", "val_loss", "val_mae"):
            assert sent[key] == pytest.approx(history.history[key][epoch])


def test_an_unreachable_server_warns_and_training_goes_on(data, make_model):
    x, y, _, _ = data
    monitor = dg.callbacks.RemoteMonitor(root=closed_port_url())
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        history = make_model().fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    assert len(history.history["loss"]) == 2
