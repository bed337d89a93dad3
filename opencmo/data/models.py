"""Import runs and first-party collection settings (see the data-import issue)."""
