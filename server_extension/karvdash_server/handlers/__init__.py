"""One module per resource of the REST API; :mod:`.base` holds what they share."""
