"""Publishing to GitHub: the event, the sticky comment, the check run, the job summary and outputs.

This package sees only the settled `Report` and rendered strings; it never changes the verdict.
"""
