"""Vendor the front-end libraries from the npm registry into static/vendor/ (no CDN at run time).

Run by scripts/run.sh and scripts/test.sh after installing; idempotent (skips a library already
present at its pinned version). Each tarball is checked against the registry's sha512 integrity
before anything is extracted; only the files listed are kept (the minified build and its licence).
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "static" / "vendor"

LIBRARIES = [
    {
        "name": "echarts",
        "version": "6.1.0",
        "tarball": "https://registry.npmjs.org/echarts/-/echarts-6.1.0.tgz",
        "integrity": "sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==",
        "files": {"package/dist/echarts.min.js": "echarts.min.js", "package/LICENSE": "LICENSE",
                  "package/NOTICE": "NOTICE"},
    },
]


def vendor(library) -> str:
    target = ROOT / library["name"]
    stamp = target / "VERSION"
    if stamp.exists() and stamp.read_text().strip() == library["version"]:
        return "present"
    with urllib.request.urlopen(library["tarball"], timeout=120) as response:
        data = response.read()
    algorithm, expected = library["integrity"].split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{library['name']}: integrity mismatch, refusing to vendor it")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, name in library["files"].items():
            extracted = archive.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{library['name']}: {member} missing from the tarball")
            (target / name).write_bytes(extracted.read())
    stamp.write_text(library["version"] + "\n")
    return "vendored"


def main():
    for library in LIBRARIES:
        print(f"{library['name']} {library['version']}: {vendor(library)}", file=sys.stderr)


if __name__ == "__main__":
    main()
