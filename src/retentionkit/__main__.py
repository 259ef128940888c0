"""``python -m retentionkit …`` runs the command line. ``spark-submit`` runs this file by its
path, ``spark-submit --master yarn "$RK_MAIN" --db spark://submit metrics`` with
``RK_MAIN=$(python -c 'import retentionkit.__main__ as m; print(m.__file__)')`` (docs/deploy.md)."""

from retentionkit.cli.app import entry

if __name__ == "__main__":
    entry()
