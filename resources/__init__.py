"""ModelDesk's shipped files: the icons, the `.desktop` entry and the AppStream metainfo.

This folder is installed inside the wheel as the package ``modeldesk.resources``
(pyproject.toml maps it); code finds the files with ``modeldesk.resource_files``.
"""
