"""The local stack: every service on one machine, supervised, started and stopped with one command."""
