"""Real servers for the tests: started by fixtures on loopback, stopped when done."""
