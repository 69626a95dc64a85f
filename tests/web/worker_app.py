"""
One worker process of the demo portal, for the several-workers test:
``python -m tests.web.worker_app CONFIG.json PORT`` serves the portal with
uvicorn on 127.0.0.1:PORT over the database the configuration names. Every
worker started with the same file serves the same portal.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys

import uvicorn

from ircc_account import FrontDoor, KeyEncryptionKey, Keyring

from .conftest import demo_plugins, portal, provider_door_config


def main(path: str, port: int) -> None:
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    keyring = Keyring(
        [KeyEncryptionKey(key_id="kek-test", secret=base64.b64decode(config["kek"]))],
        primary="kek-test",
        index_key=base64.b64decode(config["index_key"]),
    )
    tls = ssl.create_default_context(cadata=config["ca_pem"])
    door = FrontDoor.open(
        provider_door_config(config["database_url"], config["issuer"], tls, keyring=keyring),
        plugins=demo_plugins(),
    )
    web = portal(door, None, csrf_key=base64.b64decode(config["csrf_key"]))
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    door.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
