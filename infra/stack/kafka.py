"""The local Kafka broker: one KRaft node (broker and controller), its jars from Maven Central.

The broker version is pinned in infra/kafka/pom.xml. `mvn dependency:copy-dependencies` fetches the
jars once into a cache shared by every checkout and stack on the machine; storage is formatted once.
"""

from __future__ import annotations

import base64
import os
import shutil
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from infra import clients
from infra.settings import Settings
from infra.stack import shell
from infra.stack.files import write_if_changed
from infra.stack.service import Program, Service

POM = Path(__file__).resolve().parents[1] / "kafka" / "pom.xml"
HEAP = "512m"  # the broker's heap ceiling on a laptop; metadata and page cache live outside it
MAVEN_TIMEOUT_S = 900


def version() -> str:
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:kafka.version", namespace)
    assert node is not None and node.text, f"no kafka.version in {POM}"
    return node.text


def jars_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "clickpath" / f"kafka-{version()}"


def fetch_jars() -> str:
    """Copy the broker's jars from Maven Central into the cache, once (atomically, so a failed run retries)."""
    target = jars_dir()
    if (target / ".complete").exists():
        return f"jars cached ({version()})"
    staging = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    maven = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", "-DincludeScope=runtime"]
    shell.run([*maven, f"-DoutputDirectory={staging}"], timeout_s=MAVEN_TIMEOUT_S)
    (staging / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return f"jars fetched ({version()})"


def _properties(settings: Settings, data: Path) -> str:
    broker, controller = settings.port("kafka"), settings.port("kafka_controller")
    values = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{broker},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data),
        "num.partitions": str(settings.kafka_partitions),
        # one node: every internal topic has one replica
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # a lone consumer group member need not wait for others to join
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


_LOG4J = """Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
"""


def _paths(settings: Settings) -> tuple[Path, Path, Path]:
    root = settings.home_dir / "kafka"
    return root / "server.properties", root / "log4j2.yaml", root / "data"


def prepare(settings: Settings) -> str:
    done = [fetch_jars()]
    properties, log4j, data = _paths(settings)
    write_if_changed(properties, _properties(settings, data))
    write_if_changed(log4j, _LOG4J)
    if not (data / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        storage_tool = ["java", "-cp", f"{jars_dir()}/*", "kafka.tools.StorageTool", "format"]
        # --cluster-id=…, not -t …: a generated id may start with "-"
        shell.run([*storage_tool, f"--cluster-id={cluster_id}", "-c", str(properties)], timeout_s=120)
        done.append("storage formatted")
    return ", ".join(done)


def check(settings: Settings) -> str:
    metadata = clients.kafka_admin(settings).list_topics(timeout=5)
    if not metadata.brokers:
        raise RuntimeError("no broker in the cluster metadata")
    return f"{len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s)"


def service(settings: Settings) -> Service:
    address = settings.effective_kafka_bootstrap_servers
    program = None
    if settings.kafka_bootstrap_servers is None:
        properties, log4j, _ = _paths(settings)
        program = Program(
            command=[
                "java",
                f"-Xmx{HEAP}",
                "-Xms256m",
                "-XX:+UseG1GC",
                "-XX:+ExitOnOutOfMemoryError",
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp",
                f"{jars_dir()}/*",
                "kafka.Kafka",
                str(properties),
            ],
            ports=(settings.port("kafka"), settings.port("kafka_controller")),
            stop_wait_s=60,
        )
    return Service(
        name="kafka",
        address=address,
        check=lambda: check(settings),
        program=program,
        prepare=(lambda: prepare(settings)) if program else None,
        ready_timeout_s=120,
    )
