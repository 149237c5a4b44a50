"""The wall's state rule has two twins: `apply_frame` here, `applyFrame` in the browser
(static/supervision/wall-state.js). Both run the cases of wall_frames.json (the browser in
tests/e2e/test_wall_state_module.py), and the cases speak the server's language: the keys and
rows of a real snapshot and a real frame. A key renamed on one side fails a test."""

import copy
import json
from pathlib import Path

import pytest

from equipment import services as equipment_services
from equipment.models import District
from supervision.wall import state as wall
from tests.supervision.test_wall_state import CHANGES
from tests.supervision.test_wall_state import city as city  # the fixture, reused here

CASES = json.loads((Path(__file__).parent / "wall_frames.json").read_text())["cases"]
ROW_TYPES = {"equipment", "command"}  # kept as compact rows; the others as their snapshot


def run_case(case: dict) -> dict:
    """The state after the case's frames; a refused last frame must raise and change nothing."""
    state = copy.deepcopy(case["start"])
    frames = copy.deepcopy(case["frames"])
    refused = frames.pop() if case.get("refused") else None
    for frame in frames:
        state = wall.apply_frame(state, frame)
    if refused is not None:
        with pytest.raises(ValueError, match="frame starts after"):
            wall.apply_frame(state, refused)
    return state


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_apply_frame_gives_the_expected_state_of_each_shared_case(case):
    assert run_case(case) == case["expected"]


def test_the_shared_cases_cover_every_part_of_a_frame():
    frames = [frame for case in CASES for frame in case["frames"]]
    changed = {
        (kind, value is None)
        for f in frames
        for kind, o in f["objects"].items()
        for value in o.values()
    }
    assert {kind for kind, _ in changed} == set(wall.OBJECT_TYPES)
    removed = {kind for kind, removed in changed if removed}
    assert removed >= {"equipment", "intervention", "alert", "priority", "command"}
    assert any(len(f.get("calls", {})) > 1 for f in frames)  # a frame across midnight
    assert any(len(f.get("commands", {})) > 1 for f in frames)
    assert any(f.get("mode") for f in frames)
    assert any(f.get("flood") for f in frames)
    assert any(f.get("failover") for f in frames)
    assert any(case.get("refused") for case in CASES)


# --- The cases have the shapes the server sends ------------------------------------------


def state_outline(states: list[dict]) -> dict[str, set]:
    """Every key (or row length) each part of these states holds, merged over the states."""
    outline: dict[str, set] = {"state": set()}
    for state in states:
        outline["state"] |= set(state)
        merge(outline, "calls", [state["calls"]])
        merge(outline, "commands", [state["commands"]])
        merge(outline, "mode", [state["mode"]])
        merge(outline, "flood", [state["flood"]])
        merge(outline, "failover", [state["failover"]] if state["failover"] else [])
        merge(outline, "failure", state["commands"]["failures"])
        for kind in wall.OBJECT_TYPES:
            merge_objects(outline, kind, state[kind].values())
    return outline


def frame_outline(frames: list[dict]) -> dict[str, set]:
    outline: dict[str, set] = {"frame": set()}
    for frame in frames:
        outline["frame"] |= set(frame) - {"type"}
        for kind, objects in frame["objects"].items():
            merge_objects(outline, kind, objects.values())
        for day, count in frame.get("calls", {}).items():
            merge(outline, "calls per day", [{"day": day, "count": count}])
        merge(outline, "commands per day", frame.get("commands", {}).values())
        for counts in frame.get("commands", {}).values():
            merge(outline, "failure", counts["failures"])
        merge(outline, "mode", [frame["mode"]] if frame.get("mode") else [])
        merge(outline, "flood", [frame["flood"]] if frame.get("flood") else [])
        merge(outline, "failover", [frame["failover"]] if frame.get("failover") else [])
    return outline


def merge_objects(outline: dict[str, set], kind: str, values) -> None:
    values = [value for value in values if value is not None]
    if kind in ROW_TYPES:
        if values:
            outline.setdefault(f"{kind} row", set()).update(len(row) for row in values)
    else:
        merge(outline, kind, values)


def merge(outline: dict[str, set], part: str, dicts) -> None:
    for value in dicts:
        outline.setdefault(part, set()).update(value)


@pytest.fixture
def server_forms(city):
    """A real snapshot before and after every kind of change, and the frame between them."""
    old = wall.build_snapshot()
    for change in sorted(CHANGES):
        CHANGES[change](city)
    district = District.objects.order_by("pk").first()
    equipment_services.update_district(district, {"name": "Centre historique"})
    frame = wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    return {"states": state_outline([old, wall.build_snapshot()]), "frame": frame_outline([frame])}


def test_the_shared_states_have_the_keys_of_a_real_snapshot(server_forms):
    cases = state_outline([s for case in CASES for s in (case["start"], case["expected"])])
    assert cases == server_forms["states"]


def test_the_shared_frames_have_the_keys_of_a_real_frame(server_forms):
    cases = frame_outline([frame for case in CASES for frame in case["frames"]])
    assert cases == server_forms["frame"]
