# tests/test_examples.py: the game-loop examples run headless for a few frames: the world
# hash is stable across runs and across frame budgets (tick mode), and the PNGs are real.
import importlib
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES)



def load(name):
    return importlib.import_module(name)


def not_blank(path):
    from PIL import Image, ImageStat

    img = Image.open(path).convert("RGB")
    colors = img.getcolors(maxcolors=1 << 20)
    stddev = ImageStat.Stat(img).stddev
    return img.size[0] > 100 and (colors is None or len(colors) > 3) and max(stddev) > 5


CASES = {
    "tanks": ["--agents", "6", "--frames", "250"],
    "pacman": ["--agents", "4", "--frames", "120"],
    "population": ["--agents", "600", "--frames", "12"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_world_hash_is_stable_across_runs_and_frame_budgets(name, tmp_path):
    mod = load(name)
    base = CASES[name] + ["--headless", "--quiet", "--seed", "7"]
    digests = set()
    for budget in ("50000", "997", "50000"):
        digest, _ = mod.main(base + ["--frame-ticks", budget, "--out", str(tmp_path / budget)])
        digests.add(digest)
    assert len(digests) == 1
    other, _ = mod.main(base[:-2] + ["--seed", "8", "--headless", "--quiet", "--out", str(tmp_path)])
    assert other not in digests          # the seed matters


@pytest.mark.parametrize("name", sorted(CASES))
def test_pictures_are_written_and_not_blank(name, tmp_path):
    mod = load(name)
    _, pictures = mod.main(CASES[name] + ["--headless", "--quiet", "--out", str(tmp_path),
                                          "--png-every", "5"])
    assert pictures
    for p in pictures:
        assert os.path.getsize(p) > 1000 and not_blank(p), p


def test_seconds_budget_gives_the_same_world(tmp_path):
    mod = load("tanks")
    base = CASES["tanks"] + ["--headless", "--quiet", "--out", str(tmp_path)]
    a, _ = mod.main(base)
    b, _ = mod.main(base + ["--frame-seconds", "0.002"])
    assert a == b


def test_bad_agent_counts_are_refused():
    for name in CASES:
        with pytest.raises(SystemExit):
            load(name).main(["--agents", "0", "--headless", "--quiet"])


@pytest.mark.parametrize("name", ["tanks", "pacman"])
def test_pygame_window_mode_runs_and_matches_headless(name, tmp_path, monkeypatch):
    # The window code path, on SDL's offscreen driver (no display needed).
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    mod = load(name)
    base = CASES[name] + ["--quiet", "--frame-ticks", "5000"]
    windowed, pictures = mod.main(base + ["--window"])
    assert pictures == []                       # a window, not files
    headless, _ = mod.main(base + ["--headless", "--out", str(tmp_path)])
    assert windowed == headless
