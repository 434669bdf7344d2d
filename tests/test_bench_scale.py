"""bench/scale.py's CPU accounting: a part's CPU is its process tree's, exited children
included, and "everything else" is the machine's busy time minus every part."""

import os

from bench.scale import CLOCK_TICKS, CpuSample, CpuUse, _processes, _tree_ticks


def test_a_tree_counts_every_descendant_once():
    children = {1: [2, 3], 2: [4], 9: [10]}
    ticks = {1: 5, 2: 7, 3: 11, 4: 13, 9: 100, 10: 1000}
    assert _tree_ticks([1], children, ticks) == 5 + 7 + 11 + 13
    assert _tree_ticks([2, 9], children, ticks) == 7 + 13 + 100 + 1000


def test_this_process_is_found_under_its_parent():
    children, ticks = _processes()
    assert os.getpid() in children[os.getppid()]
    assert os.getpid() in ticks


def test_the_rest_of_the_machine_is_what_the_parts_do_not_use():
    before = CpuSample(wall=0.0, machine=0, parts={"web one": 0, "primary": 0})
    after = CpuSample(
        wall=2.0,
        machine=4 * CLOCK_TICKS,  # 4 core-seconds in 2 s: 2 cores busy
        parts={"web one": 2 * CLOCK_TICKS, "primary": CLOCK_TICKS // 2},
    )
    use = CpuUse()
    assert use.add(before, after) == 2.0
    assert use.cores("machine") == 2.0
    assert use.cores("web nodes", "one") == 1.0
    assert use.cores("primary") == 0.25
    assert use.cores("everything else") == 0.75
