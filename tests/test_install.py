"""A wheel built from the repository, installed without the editable hook into a
fresh virtual environment, imports every module and runs the CLI: a package missing
from the wheel cannot ship."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_imports_every_module(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = wheel_dir.glob("rewardgym-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    modules = sorted(
        n[:-3].replace("/", ".").removesuffix(".__init__")
        for n in names
        if n.endswith(".py") and n.startswith("rewardgym/")
    )
    # every source file of the three root folders is in the wheel
    for folder in ("envs", "rewards", "agents"):
        for src in (ROOT / folder).rglob("*.py"):
            rel = src.relative_to(ROOT / folder).as_posix()
            assert f"rewardgym/{folder}/{rel}" in names, f"{folder}/{rel} missing from the wheel"
    assert "rewardgym/py.typed" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # the same third-party packages as the test environment, without its editable hook
    deps = sysconfig.get_paths()["purelib"]
    Path(site, "_deps.pth").write_text(f"import site; site.addsitedir({deps!r})\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    code = (
        "import importlib, sys, rewardgym\n"
        f"assert rewardgym.__file__.startswith({site!r}), rewardgym.__file__\n"
        f"for m in {modules!r}:\n"
        "    if m.endswith('__main__'): continue\n"
        "    importlib.import_module(m)\n"
        "print('imported', len(sys.modules))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    cli = subprocess.run(
        [str(python), "-m", "rewardgym", "list"], capture_output=True, text=True, cwd=tmp_path
    )
    assert cli.returncode == 0, cli.stderr
    assert "rewardgym/CartPole-v1" in cli.stdout
