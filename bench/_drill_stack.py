"""The production stack of the drills, as real processes on servers of the drill's own
(tests/instances.py): two daphne processes, a Celery worker and beat, the MQTT telemetry
bridge, the acknowledgement listener and simulated devices. Each process logs to a file of
its own in the run's folder, so that what a process said during a fault can be read after.
"""

import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT

from tests.instances import free_port, kill_group, stop_group, wait_for_port


class Process:
    """One process of the stack, which a drill may kill and start again."""

    def __init__(self, name: str, command: list[str], env: dict, logs: Path, port: int | None):
        self.name, self.command, self.env, self.port = name, command, env, port
        self.log = logs / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            log.write(f"\n--- started at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            # A process group of its own: a kill reaches a worker's prefork children too.
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def said(self, text: str) -> int:
        """How many times the process wrote `text` in its log (over every start)."""
        return self.log.read_text(errors="replace").count(text) if self.log.exists() else 0

    def last_start_output(self) -> str:
        """What the process wrote since it was last started."""
        if not self.log.exists():
            return ""
        return self.log.read_text(errors="replace").rsplit("\n--- started at ", 1)[-1]

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """A crash: the whole process group, no shutdown."""
        if self.popen:
            kill_group(self.popen)

    def stop(self) -> None:
        if self.popen:
            stop_group(self.popen)


class Stack:
    """Every process of the production stack on the drill's servers."""

    def __init__(self, env: dict, logs: Path, topic_prefix: str):
        self.logs = logs
        python = sys.executable
        self.env = {
            **env,
            "COMMAND_ADAPTER": "equipment.adapters.MqttAdapter",
            "COMMAND_TOPIC_PREFIX": topic_prefix,
            "MQTT_TOPICS": f"{topic_prefix}/+/+/telemetry",
            "COMMAND_SIMULATOR_FAILURE_RATE": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.daphne_ports = [free_port(), free_port()]
        daphnes = [
            Process(
                f"daphne-{n + 1}",
                [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ondijon.asgi:application"],
                self.env,
                logs,
                port,
            )
            for n, port in enumerate(self.daphne_ports)
        ]  # fmt: skip
        # INFO: the worker says when it is ready (a drill measures the plan from then).
        worker = [
            python, "-m", "celery", "-A", "ondijon", "worker", "-l", "INFO", "-c", "2",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        beat = [
            python, "-m", "celery", "-A", "ondijon", "beat", "-l", "WARNING",
            "-s", str(logs / "beat-schedule"),
        ]  # fmt: skip
        manage = [python, "manage.py"]
        self.processes = {
            p.name: p
            for p in [
                *daphnes,
                Process("worker", worker, self.env, logs, None),
                Process("beat", beat, self.env, logs, None),
                Process(
                    "bridge",
                    [*manage, "mqtt_bridge", "--client-id", f"{topic_prefix}-bridge"],
                    self.env,
                    logs,
                    None,
                ),
                Process("listener", [*manage, "listen_command_acks"], self.env, logs, None),
                Process("devices", [*manage, "simulate_command_devices"], self.env, logs, None),
            ]
        }

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.daphne_ports]

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    def start(self) -> None:
        for process in self.processes.values():
            if not process.alive():
                process.start()
        for port in self.daphne_ports:
            wait_for_port(port, timeout=60)

    # What each process says once it does its work: the worker ready to take tasks, the MQTT
    # subscribers' subscriptions confirmed by the broker (a message published before would be
    # lost for good on a fresh broker, where their persistent sessions do not exist yet).
    READY_SAYS = {
        "worker": " ready.",
        "bridge": "Subscribed",
        "listener": "Subscribed",
        "devices": "Subscribed",
    }

    def wait_ready(self, timeout: float) -> None:
        """Until every process said it is ready (after its last start)."""
        deadline = time.monotonic() + timeout
        waiting = dict(self.READY_SAYS)
        while waiting:
            waiting = {
                name: text
                for name, text in waiting.items()
                if text not in self[name].last_start_output()
            }
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {sorted(waiting)} (logs in {self.logs})")  # fmt: skip
            time.sleep(0.1)

    def stopped(self) -> list[str]:
        """Processes that are not running (ended by themselves, or killed and not restarted)."""
        return [name for name, process in self.processes.items() if not process.alive()]

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
