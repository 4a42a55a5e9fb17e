"""``clickpath generate``: demo traffic for a small online shop, sent through the capture API."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from infra.settings import Settings, get_settings

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

app = typer.Typer(help="Ingestion: demo traffic.", no_args_is_help=True)


def default_host(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.port('capture')}"


def demo_project_key(settings: Settings) -> str | None:
    """The demo project's write key that ``clickpath up`` recorded in demo.json, if there is one."""
    path = settings.home_dir / "demo.json"
    try:
        key = json.loads(path.read_text())["demo"]["project_api_key"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) and key else None


@app.command("generate")
def generate(
    events: Annotated[int, typer.Option(min=0, help="About how many events to send.")] = 50_000,
    days: Annotated[int, typer.Option(min=1, help="Spread them over this many days up to now.")] = 30,
    seed: Annotated[int | None, typer.Option(help="Same seed, same people and events. Default: a random one.")] = None,
    host: Annotated[str | None, typer.Option(help="The capture API. Default: the local stack's.")] = None,
    project_key: Annotated[
        str | None, typer.Option(help="The project's write key (phc_…). Default: the demo project's, from demo.json.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Events per request.")] = 500,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight.")] = 4,
) -> None:
    """Send realistic demo traffic (a small online shop's visitors, sign-ups and purchases) to the capture API."""
    # Imported here: httpx and the generator are only needed by this command, not by every `clickpath` call.
    from ingest.generate import CaptureRefusedError, CaptureUnavailableError, Sender, run

    settings = get_settings()
    key = project_key or demo_project_key(settings)
    if key is None:
        raise typer.BadParameter(
            f"no project key: pass one, or run `clickpath up` to write {settings.home_dir / 'demo.json'}",
            param_hint="--project-key",
        )
    chosen_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    sender = Sender(host or default_host(settings), key, batch_size=batch_size, concurrency=concurrency)
    try:
        run(events, days, chosen_seed, sender)
    except (CaptureRefusedError, CaptureUnavailableError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


dlq_app = typer.Typer(help="The dead-letter topic: what the consumer could not store, and sending it again.")


@dlq_app.command("list")
def dlq_list(
    everything: Annotated[
        bool, typer.Option("--all", help="Every letter still in the topic, replayed or not.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
) -> None:
    """The letters not replayed yet: when, why, where from, and the start of the message."""
    from rich.console import Console
    from rich.table import Table

    from ingest.dlq import DeadLetterQueue

    settings = get_settings()
    table = Table("letter", "time (UTC)", "reason", "origin", "message")
    count = 0
    with DeadLetterQueue(settings) as queue:
        for letter in queue.letters(everything):
            count += 1
            if count <= limit:
                preview = (letter.value or b"").decode(errors="replace")[:60]
                time = f"{letter.time:%Y-%m-%d %H:%M:%S}"
                table.add_row(f"{letter.partition}:{letter.offset}", time, letter.reason, letter.origin, preview)
    console = Console(width=200)
    console.print(table)
    shown = f"{min(count, limit)} shown" if count > limit else "all shown"
    console.print(f"{count} letter(s) {'in' if everything else 'pending in'} {settings.kafka_dlq_topic} ({shown})")


@dlq_app.command("replay")
def dlq_replay(
    dry_run: Annotated[bool, typer.Option(help="Count what would be replayed, send nothing.")] = False,
) -> None:
    """Send every pending letter back to the events topic (after a fix); what is still bad comes back."""
    from rich.progress import Progress

    from ingest.dlq import DeadLetterQueue

    settings = get_settings()
    with DeadLetterQueue(settings) as queue:
        letters = list(queue.letters())
        if dry_run or not letters:
            note = "; none sent (dry run)" if dry_run and letters else ""
            typer.echo(f"{len(letters)} letter(s) pending in {settings.kafka_dlq_topic}{note}")
            return
        with Progress() as progress:
            task = progress.add_task("replaying", total=len(letters))
            queue.replay(letters, lambda done: progress.advance(task, done))
    typer.echo(f"replayed {len(letters)} letter(s) to {settings.kafka_events_topic}")


retention_app = typer.Typer(help="How long each project's events are kept (ClickHouse TTL).", no_args_is_help=True)


@retention_app.command("set")
def retention_set(
    project: Annotated[int, typer.Argument(min=1, help="The project id.")],
    days: Annotated[int, typer.Argument(min=0, help="Days to keep its events; 0 keeps them forever.")],
    now: Annotated[bool, typer.Option(help="Delete what is already older at once, not as parts merge.")] = False,
) -> None:
    """Set a project's retention; rows already stored are updated too."""
    from ingest.lifecycle import set_retention

    with _clickhouse() as client:
        set_retention(client, project, days, now=now)
    typer.echo(f"project {project}: events kept {f'{days} days' if days else 'forever'}")


@retention_app.command("show")
def retention_show() -> None:
    """Every project with a retention set (the others keep their events forever)."""
    from ingest.lifecycle import retention

    with _clickhouse() as client:
        for project, days in retention(client).items():
            typer.echo(f"project {project}: {f'{days} days' if days else 'forever'}")


person_app = typer.Typer(help="One person's data.", no_args_is_help=True)


@person_app.command("delete")
def person_delete(
    project: Annotated[int, typer.Argument(min=1, help="The project id.")],
    distinct_id: Annotated[str, typer.Argument(help="Any distinct id of the person.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person (GDPR): their events, person rows and per-person model rows, under every linked id."""
    from ingest.lifecycle import erase_person, person_of

    with _clickhouse() as client:
        person = person_of(client, project, distinct_id)
        typer.echo(f"person {person.person_id}: distinct ids {', '.join(person.distinct_ids)}")
        if not yes:
            typer.confirm("Delete all of their data?", abort=True)
        deleted = erase_person(client, person)
    for table, rows in deleted.items():
        typer.echo(f"{table}: {rows} row(s) deleted")
    typer.echo(f"done: {sum(deleted.values())} row(s) in {len(deleted)} table(s)")


@contextlib.contextmanager
def _clickhouse() -> Iterator[Client]:
    from infra import clients

    settings = get_settings()
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    try:
        yield client
    finally:
        client.close()


def lag() -> None:
    """Consumer lag of the ingest group per partition of the events topic: what Kafka holds that is not stored."""
    from rich.console import Console
    from rich.table import Table

    from ingest.lag import partition_lag

    settings = get_settings()
    rows = partition_lag(settings, settings.kafka_events_topic, settings.consumer_group)
    table = Table(
        "partition", "committed", "end", "lag", title=f"{settings.consumer_group} on {settings.kafka_events_topic}"
    )
    for partition, committed, end in rows:
        table.add_row(str(partition), str(committed) if committed >= 0 else "–", str(end), str(end - max(committed, 0)))
    Console(width=140).print(table)
    typer.echo(f"total lag: {sum(end - max(committed, 0) for _, committed, end in rows):,} message(s)")
