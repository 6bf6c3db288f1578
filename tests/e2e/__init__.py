"""Browser tests: the dashboard pages in headless Chromium, through the sandbox."""
