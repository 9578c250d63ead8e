"""``plot_history``: every metric of a ``fit``, training against validation, one panel each.

Example (it needs matplotlib, so the tests run it, not the doctests)::

    history = model.fit(x, y, validation_split=0.2, epochs=10)
    dg.visualization.plot_history(history, path="history.png")
"""

from __future__ import annotations

from deepgrad.visualization._matplotlib import finish, grid, pyplot

__all__ = ["plot_history"]


def plot_history(history, metrics=None, *, cols: int | None = None,
                 scale: float = 3.5, title: str | None = None, path=None,
                 show: bool = False):
    """Draw the curves of a training run: one panel per metric, validation dashed.

    Args:
        history: what ``fit`` returns (a ``History``), or its ``.history`` dict, or a
            dict of such (``{"adam": h1, "sgd": h2}``) to compare runs in the same panels.
        metrics: the metric names to draw (``"loss"``, ``"accuracy"``...); every
            training metric by default. ``val_<name>`` is drawn with ``<name>``.
        cols: panels per row (all in one row by default, up to 3).
        scale: inches per panel.
        title: a title over the figure.
        path: save the figure there (and close it).
        show: ``plt.show()`` the figure.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: an empty history, or a metric it does not hold.
        ImportError: matplotlib is missing (the extra ``deepgrad[plot]``).
    """
    who = "plot_history"
    runs = _runs(history, who)
    names = list(metrics) if metrics is not None else list(dict.fromkeys(
        key for logs in runs.values() for key in logs if not key.startswith("val_")))
    for name in names:
        if not any(name in logs or f"val_{name}" in logs for logs in runs.values()):
            known = sorted({k for logs in runs.values() for k in logs})
            raise ValueError(f"{who}: the history has no metric {name!r}. It has: {known}")
    plt = pyplot(who)
    rows, cols = grid(len(names), cols or min(3, len(names)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale * 0.8),
                             squeeze=False, layout="constrained")
    from matplotlib.ticker import MaxNLocator

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    several = len(runs) > 1
    for axis, name in zip(axes.flat, names):
        for k, (run, logs) in enumerate(runs.items()):
            color = colors[k % len(colors)]
            for key, style, part in ((name, "-", "training"), (f"val_{name}", "--", "validation")):
                if key in logs:
                    values = [float(v) for v in logs[key]]
                    # Several runs: one legend entry per run (its colour); the line style
                    # tells training from validation, as the figure's title says.
                    label = (run if style == "-" or name not in logs else None) if several \
                        else part
                    axis.plot(range(1, len(values) + 1), values, style, color=color,
                              label=label)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        if not several:
            axis.legend(fontsize=8)
    if several:
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside right upper",
                   fontsize=8)
        title = f"{title or ''}{' ' if title else ''}(solid: training, dashed: validation)"
    for axis in list(axes.flat)[len(names):]:
        axis.axis("off")
    if title:
        fig.suptitle(title)
    return finish(plt, fig, path, show)


def _runs(history, who: str) -> dict[str, dict]:
    """``{run name: {metric: values}}`` from a History, a dict, or a dict of those."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"{who}: `history` must be what fit returns (or its .history dict), "
                         f"with at least one metric. Received: {history!r}")
    first = next(iter(logs.values()))
    if isinstance(first, dict) or hasattr(first, "history"):
        return {str(name): _runs(run, who)[""] for name, run in logs.items()}
    return {"": logs}
