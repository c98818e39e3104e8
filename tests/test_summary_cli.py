"""`lagesbild summary-recipient`: an operator says who receives a county's summaries."""

from __future__ import annotations

from pathlib import Path

from tests.command import lagesbild


async def test_recipients_are_added_listed_and_removed(dsn: str, tmp_path: Path) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]  # a local shorthand
        return lagesbild("summary-recipient", *args, database_url=dsn, data_dir=tmp_path)

    added = await run("add", "--county", "14", "--email", "tib@msb.example")
    assert added.code == 0, added.err
    again = await run("add", "--county", "14", "--email", "TIB@msb.example")
    assert again.code == 0, again.err
    assert again.out.count("tib@msb.example") == 1, "an address is added once"
    recipient_id, channel, label = again.out.splitlines()[0].split("\t")
    assert (channel, label) == ("email", "tib@msb.example")
    unknown = await run("add", "--county", "99", "--email", "x@y.example")
    assert unknown.code == 2
    assert "unknown county" in unknown.err
    no_hook = await run("add", "--county", "14", "--webhook", "12345")
    assert no_hook.code == 2
    removed = await run("remove", recipient_id)
    assert removed.code == 0, removed.err
    listed = await run("list", "--county", "14")
    assert listed.out == ""
