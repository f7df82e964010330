"""The default import path: write posts through WordPress itself, with php-cli.

One ``php`` process loads the site's WordPress (``wp-load.php``, with the site's own
config) and calls ``wp_insert_post``, ``wp_update_post``, ``update_post_meta``,
``wp_set_post_tags``, ``wp_trash_post`` and ``wp_delete_post`` for each request, so every
hook a plugin adds runs as it would for an editor. Requests and answers are JSON lines
on the process's stdin and stdout (``wordpress_bridge.php``).

Why php-cli and not the REST API: WordPress offers application passwords only over
HTTPS (or on a 'local' environment type), and the REST API stores only meta keys a
plugin registered, so neither the sandbox nor a plain staging site could take the
import's meta that way. php-cli needs parity to run on the machine that hosts the site.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any

from parity.content.importer.postdata import (
    BOOKKEEPING_KEYS,
    META_PREFIX,
    import_meta,
)
from parity.content.importer.writer import NewPost, Outcome, PostUpdate, Snapshot
from parity.cron.wordpress_files import WordPressFiles
from parity.environments import EnvironmentSettings
from parity.errors import SiteError
from parity.targets.database import Database
from parity.targets.wordpress_database import ensure_wordpress_reaches

__all__ = ["WordPressWriter"]

_STDERR_TAIL = 2000


def _bridge_script(folder: Path) -> Path:
    """Copy the bridge script to ``folder`` (it must be a file for php to run it)."""
    text = resources.files("parity.content.importer").joinpath("wordpress_bridge.php")
    path = folder / "parity-wordpress-bridge.php"
    path.write_text(text.read_text("utf-8"), "utf-8")
    return path


class WordPressWriter:
    """Writes posts by calling WordPress's functions in a php-cli process."""

    path = "wordpress"

    def __init__(
        self,
        env: EnvironmentSettings,
        files: WordPressFiles,
        author_id: int,
        work_dir: Path,
        *,
        db: Database,
        php: str | None = None,
        remove_work_dir: bool = False,
    ) -> None:
        # What the site's config really connects to must be ``env``'s database (``db``),
        # and never a protected environment's: checked before WordPress is started.
        binary = php or shutil.which("php")
        ensure_wordpress_reaches(
            db,
            root=files.root,
            config_name=files.config_name,
            action="write posts through WordPress",
            php=binary,
        )
        self.env = env
        self.work_dir = work_dir
        self.remove_work_dir = remove_work_dir
        if binary is None:
            raise SiteError("php-cli is not installed", hint="install php-cli, or use --direct")
        work_dir.mkdir(parents=True, exist_ok=True)
        script = _bridge_script(work_dir)
        self._stderr_path = work_dir / "wordpress-bridge.log"
        self._stderr = self._stderr_path.open("w", encoding="utf-8")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PARITY_SITE_URL": env.url,
            "PARITY_WORDPRESS_ROOT": str(files.root),
            "PARITY_WORDPRESS_CONFIG": files.config_name or "",
            "PARITY_AUTHOR_ID": str(author_id),
            "PARITY_META_PREFIX": META_PREFIX,
            "PARITY_BOOKKEEPING_KEYS": ",".join(BOOKKEEPING_KEYS),
        }
        self._process = subprocess.Popen(
            [binary, "-d", "display_errors=stderr", "-d", "memory_limit=512M", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=environment,
            text=True,
            encoding="utf-8",
        )
        ready = self._read_answer()
        if not ready.get("ready"):
            self.close()
            raise SiteError(f"{env.name}: WordPress did not start in php-cli: {ready}")
        self.wordpress_version = str(ready.get("wordpress", "?"))

    # -- the process ---------------------------------------------------------------

    def _pipe(self, stream: IO[str] | None) -> IO[str]:
        if stream is None:
            raise SiteError("the WordPress process has no pipe")
        return stream

    def _failure(self, what: str) -> SiteError:
        self._stderr.flush()
        tail = self._stderr_path.read_text("utf-8", "replace")[-_STDERR_TAIL:].strip()
        last = tail.splitlines()[-1] if tail else "no error output"
        return SiteError(
            f"{self.env.name}: the WordPress process {what}: {last}",
            hint=f"see {self._stderr_path}",
        )

    def _read_answer(self) -> dict[str, Any]:
        stdout = self._pipe(self._process.stdout)
        while True:
            line = stdout.readline()
            if not line:
                raise self._failure("stopped")
            if line.startswith("{"):
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                if isinstance(answer, dict):
                    return answer
            # Anything else is output a plugin printed while loading: ignore it.

    def _call(self, op: str, items: Sequence[dict[str, Any]]) -> list[Outcome]:
        if not items:
            return []
        stdin = self._pipe(self._process.stdin)
        try:
            stdin.write(json.dumps({"op": op, "items": list(items)}) + "\n")
            stdin.flush()
        except BrokenPipeError:
            raise self._failure("stopped") from None
        answer = self._read_answer()
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(items):
            raise self._failure(f"gave an unexpected answer to {op}")
        outcomes = []
        for result in results:
            post_id = result.get("post_id")
            outcomes.append(
                Outcome(
                    int(post_id) if post_id is not None else None,
                    bool(result.get("ok")),
                    result.get("error"),
                )
            )
        return outcomes

    def close(self) -> None:
        """End the php process (and remove the work folder if asked and all went well)."""
        process = self._process
        if process.poll() is None:
            if process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()
        if self.remove_work_dir and process.returncode == 0:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # -- operations ----------------------------------------------------------------

    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        """wp_insert_post for each post (meta and tags in the same call)."""
        return self._call(
            "create",
            [
                {
                    "status": new.status,
                    "title": new.post.title,
                    "content": new.post.content,
                    "excerpt": new.post.excerpt,
                    "meta": import_meta(new.post, run_id=run_id, noindex=new.noindex),
                    "tags": list(new.post.tags),
                }
                for new in posts
            ],
        )

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        """wp_update_post for each post; owned meta not in the new set is removed."""
        return self._call(
            "update",
            [
                {
                    "post_id": update.post_id,
                    "title": update.post.title,
                    "content": update.post.content,
                    "excerpt": update.post.excerpt,
                    "meta": import_meta(update.post, run_id=run_id, noindex=update.noindex),
                    "tags": list(update.post.tags),
                }
                for update in updates
            ],
        )

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        """wp_trash_post for each post."""
        return self._call("trash", [{"post_id": post_id} for post_id in post_ids])

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        """wp_untrash_post for each post (back to the status it had)."""
        return self._call("untrash", [{"post_id": post_id} for post_id, _ in posts])

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        """wp_delete_post (for good) for each post."""
        return self._call("delete", [{"post_id": post_id} for post_id in post_ids])

    def restore(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        """Put the snapshot's text, owned meta and tags back through WordPress."""
        return self._call("restore", list(snapshots))
