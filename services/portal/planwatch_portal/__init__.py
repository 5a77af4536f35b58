"""The bureau portal: statistics bureaus report through a browser, in Chinese, via ingest."""
