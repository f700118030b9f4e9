"""Support code for the tests: servers, clients and helpers. Test modules import from here, never from each other."""
