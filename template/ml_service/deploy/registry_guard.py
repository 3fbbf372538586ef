"""No registry admin credentials anywhere: code, IaC or pipelines (run by `make lint`).

The container registry's admin user is disabled (environment_setup), so every image pull uses a
managed identity. This guard fails when admin credentials creep back in, in any of the ways a
deploy could use them. Standard library only, so it runs before anything is installed.

Usage: python -m ml_service.deploy.registry_guard [ROOT]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ADMIN_CREDENTIALS = re.compile(
    r"listCredentials|DOCKER_REGISTRY_SERVER_(PASSWORD|USERNAME)|acr credential|--admin-enabled[\s=]+true"
    r"|admin(user)?_?enabled\"?\s*[:=]\s*\"?true",
    re.IGNORECASE,
)
GUARDED_FOLDERS = ("ml_service", "environment_setup", ".pipelines", ".github")
THIS_FILE = Path(__file__).resolve()


def admin_credential_uses(root: Path) -> list[str]:
    """'path:line: match' for every use of registry admin credentials under the guarded folders."""
    found = []
    for folder in GUARDED_FOLDERS:
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if not path.is_file() or path.suffix == ".pyc" or path.resolve() == THIS_FILE:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in ADMIN_CREDENTIALS.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(root)}:{line}: {match.group(0)}")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    found = admin_credential_uses(root)
    for use in found:
        print(f"{use} (registry admin credentials; pull with a managed identity instead)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
