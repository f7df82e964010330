"""``sandbox down --purge``: remove what the sandbox made, and only that.

A state directory holds files the sandbox writes (configs, pid files, logs, sockets) and
directories its programs fill (MariaDB's data, Varnish's working dirs, nginx's temp
dirs, WordPress's uploads). Those are listed here by name, from the same
:class:`~parity.sandbox.layout.Layout` that creates them. Anything else found inside
(a plugin copied into wp-content, notes left in ``nginx/``) is someone else's: it is left
where it is, with the folders that lead to it, and :func:`purge_state_dir` returns it so
the command can say what was kept.

Pure file-system work on one directory tree; symlinks are removed, never followed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from parity.sandbox.layout import SITES, Layout
from parity.sandbox.wordpress import THEME

__all__ = ["PurgeResult", "owned_paths", "purge_state_dir"]


@dataclass
class PurgeResult:
    """What a purge removed and what it left because the sandbox did not make it."""

    removed: int = 0
    kept: list[Path] = field(default_factory=list)


def owned_paths(layout: Layout) -> tuple[set[Path], set[Path], set[Path]]:
    """(files, trees, folders) the sandbox makes in ``layout``'s state directory.

    ``files`` are removed (files, sockets, symlinks); ``trees`` are removed with all
    they hold (filled by MariaDB, Varnish, nginx or WordPress); ``folders`` are removed
    once empty, after what they hold that the sandbox made is gone.
    """
    root = layout.root
    files = {
        layout.state_file,
        layout.config_file,
        layout.lock_file,
        layout.mariadb_socket,
        layout.mariadb_pid,
        layout.mariadb_log,
        layout.mariadb_dir / "mariadbd.out",
        layout.mariadb_dir / "install-db.log",
        *layout.legacy_fpm,
        layout.fpm_dir / "php-fpm.log",
        layout.fpm_dir / "php-fpm.out",
        layout.nginx_conf,
        layout.nginx_pid,
        layout.nginx_log,
        layout.nginx_dir / "access.log",
        layout.nginx_dir / "nginx.out",
        layout.varnish_secret,
    }
    trees = {
        layout.mariadb_data,
        layout.mariadb_dir / "tmp",
        layout.nginx_dir / "temp",
        layout.nginx_media_dir,
        layout.nginx_dir / "media-cache",
    }
    folders = {root, layout.mariadb_dir, layout.fpm_dir, layout.nginx_dir, layout.varnish_dir}
    for site in SITES:
        content = layout.wp_content(site)
        files |= {
            layout.fpm_socket(site),
            layout.fpm_conf(site),
            layout.fpm_pid(site),
            layout.fpm_log(site),
            layout.fpm_out(site),
            layout.php_log(site),
            layout.varnish_pid(site),
            layout.varnish_vcl(site),
            layout.varnish_log(site),
            layout.install_log(site),
            layout.site_dir(site) / "install-wordpress.php",
            content / "index.php",
            content / "themes" / "index.php",
            content / "themes" / THEME,
            content / "plugins" / "index.php",
        }
        # What WordPress writes for the site (media, upgrades): the site's data, like
        # its database.
        trees |= {layout.varnish_workdir(site), content / "uploads", content / "upgrade"}
        folders |= {layout.site_dir(site), content, content / "themes", content / "plugins"}
    return files, trees, folders


def purge_state_dir(layout: Layout) -> PurgeResult:
    """Remove what the sandbox made under ``layout.root``; keep (and list) the rest.

    Folders that still hold something foreign stay; the foreign entries are returned,
    shallowest first (a foreign folder is listed once, not file by file).
    """
    result = PurgeResult()
    if not layout.root.is_dir():
        return result
    files, trees, folders = owned_paths(layout)
    _purge(layout.root, files, trees, folders, result)
    result.kept.sort()
    return result


def _purge(
    directory: Path, files: set[Path], trees: set[Path], folders: set[Path], out: PurgeResult
) -> bool:
    """Empty ``directory`` of what is owned; True if it was removed as well."""
    with os.scandir(directory) as entries:
        found = sorted(Path(entry.path) for entry in entries)
    for path in found:
        if path in trees and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            out.removed += 1
        elif path in files or path in trees:
            if path.is_dir() and not path.is_symlink():
                out.kept.append(path)  # a folder where a file belongs: not ours
                continue
            path.unlink(missing_ok=True)
            out.removed += 1
        elif path in folders and path.is_dir() and not path.is_symlink():
            _purge(path, files, trees, folders, out)
        else:
            out.kept.append(path)
    if directory in folders:
        try:
            directory.rmdir()
        except OSError:
            return False  # something foreign is still inside
        out.removed += 1
        return True
    return False
