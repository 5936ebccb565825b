import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jinguo.care import crypto, keys


class Command(BaseCommand):
    help = "Re-encrypt the care registry under the current key (optionally adding a new one first)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="add a fresh key to the key file and make it current"
        )
        parser.add_argument("--init", metavar="PATH", help="write a new key file at PATH and stop")
        parser.add_argument("--batch", type=int, default=keys.BATCH)

    def handle(self, *args, **options):
        if options["init"]:
            path = Path(options["init"])
            if path.exists():
                raise CommandError(f"{path} already exists")
            crypto.write_key_file(
                path, {"current": "k1", "keys": {"k1": crypto.new_key_text()}, "hmac": crypto.new_key_text()}
            )
            self.stdout.write(f"wrote {path} (mode 600); set CARE_KEYS_FILE={path}")
            return
        if options["new_key"]:
            ring = crypto.keyring()
            key_id = "k" + secrets.token_hex(3)
            path = Path(settings.CARE_KEYS_FILE)
            data = {
                "current": key_id,
                "keys": {**{k: crypto.base64.b64encode(v).decode() for k, v in ring.keys.items()}},
                "hmac": crypto.base64.b64encode(ring.hmac_key).decode(),
            }
            data["keys"][key_id] = crypto.new_key_text()
            crypto.write_key_file(path, data)
            self.stdout.write(f"added key {key_id} as current")
        result = keys.rotate(batch=options["batch"])
        self.stdout.write(f"re-encrypted {result.values} values and {result.files} attachments")
