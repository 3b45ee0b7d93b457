"""486 Busy Here."""
expect = {
    "status": 486,
    "reason": "Busy Here",
}
