"""Parameters inside the user part are not uri-parameters."""
expect = {
    "parsed_ruri.user": "alice;day=tuesday",
    "parsed_ruri.host": "atlanta.com",
    "parsed_ruri.params": "",
}
