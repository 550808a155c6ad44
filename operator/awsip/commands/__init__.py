"""Subcommands of the ``awsip`` command line (thin adapters over the core library)."""
