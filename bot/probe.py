"""`python -m bot.probe`: the container's HEALTHCHECK. Asks this machine's /healthz (WEB_PORT,
8080 by default) and exits 0 on 200, 1 otherwise, printing the answer. 200 is "ok" or
"degraded" (the shop still sells: a backup panel or a payment method is failing, which is for
a person to look at, not a reason to mark the container unhealthy); 503 is "failing" (it cannot
sell). Standard library only: it starts in milliseconds and needs no settings but the port."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 8.0


def main() -> int:
    port = os.environ.get("WEB_PORT", "").strip() or "8080"
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            print(response.read().decode(errors="replace"))
            return 0
    except urllib.error.HTTPError as error:  # 503: the body names what is wrong
        print(error.read().decode(errors="replace"))
    except (OSError, ValueError) as error:
        print(f"no answer from {url}: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
