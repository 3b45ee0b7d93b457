"""486 with an empty reason phrase."""
expect = {
    "status": 486,
    "reason": "",
}
