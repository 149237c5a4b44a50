"""Simulated cameras: H.264 a browser decodes, pictures that move, each carrying its time."""

import av

from ondijon.demo import cameras


def decoded(pattern: cameras.TestPattern, times: list[int]) -> list[av.VideoFrame]:
    decoder = av.CodecContext.create("h264", "r")
    frames = []
    for millis in times:
        for packet in pattern.encode(millis):
            frames.extend(decoder.decode(packet))
    return frames


def test_each_picture_carries_the_time_it_was_drawn_and_reads_back_after_h264():
    times = [1_764_700_000_000 + i * 40 for i in range(30)]
    frames = decoded(cameras.TestPattern(3), times)
    # No B-frames, zero latency tuning: one picture in, one out, in order.
    assert len(frames) == len(times)
    stamps = [cameras.read_stamp(frame.to_ndarray(format="gray")) for frame in frames]
    assert stamps == times


def test_the_pattern_moves_and_keyframes_come_twice_a_second():
    pattern = cameras.TestPattern(1)
    packets = [pattern.encode(1_000_000 + i * 40) for i in range(50)]
    keyframes = [i for i, group in enumerate(packets) if any(p.is_keyframe for p in group)]
    assert keyframes[:4] == [0, 12, 24, 36]
    # The profile browsers' WebRTC decodes: constrained baseline (profile_idc 66).
    first = bytes(packets[0][0])
    sps = first[first.index(b"\x00\x00\x01\x67") + 4 :]
    assert sps[0] == 66
    frames = decoded(cameras.TestPattern(1), [0, 1000])
    a, b = (frame.to_ndarray(format="gray")[100:] for frame in frames)
    assert (a != b).mean() > 0.01


def test_cameras_look_different():
    one, two = (cameras.TestPattern(n).picture(0).to_ndarray() for n in (1, 2))
    assert (one != two).any()
