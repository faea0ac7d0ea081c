"""One file per schema revision, each naming the one before it in `down_revision`."""
