"""Delete evidence files that no evidence item and no timeline attachment refers to.

    python manage.py prune_evidence_files [--dry-run] [--min-age-hours 24]

A file is stored before its evidence row commits. When an enclosing transaction rolls
back afterwards, the file stays on disk with nothing pointing at it; a process killed in
the middle of an upload leaves its part file under ``incoming/``. Both are removed here
once older than ``--min-age-hours``, so that uploads in flight are never touched.
"""

import time

from django.core.management.base import BaseCommand

from incidents.evidence import storage
from incidents.models import EntryAttachment, Evidence


class Command(BaseCommand):
    help = "Delete stored files and part files that no evidence item or attachment refers to."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")
        parser.add_argument(
            "--min-age-hours",
            type=float,
            default=24,
            help="Leave files younger than this alone (default 24).",
        )

    def handle(self, *args, dry_run=False, min_age_hours=24, **options):
        root = storage.media_root()
        cutoff = time.time() - min_age_hours * 3600
        referenced = set(Evidence.objects.exclude(file_path="").values_list("file_path", flat=True))
        # Timeline attachments are stored in the same place, by the same content hash.
        referenced.update(EntryAttachment.objects.values_list("file_path", flat=True))
        candidates = [
            path
            for folder in (storage.OBJECTS, storage.INCOMING)
            if (root / folder).is_dir()
            for path in (root / folder).rglob("*")
            if path.is_file()
            and path.stat().st_mtime < cutoff
            and path.relative_to(root).as_posix() not in referenced
        ]
        freed = 0
        for path in sorted(candidates):
            size = path.stat().st_size
            self.stdout.write(
                f"{'would delete' if dry_run else 'deleted'} {path.relative_to(root)}"
            )
            if not dry_run:
                path.unlink()
            freed += size
        verb = "would free" if dry_run else "freed"
        self.stdout.write(f"{len(candidates)} unreferenced file(s), {verb} {freed} bytes.")
