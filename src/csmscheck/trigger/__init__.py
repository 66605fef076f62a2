"""The trigger API's client and the names it shares with the server."""
