"""Reason phrase with inner and trailing spaces."""
expect = {
    "status": 603,
    "reason": "Decline  for now ",
}
