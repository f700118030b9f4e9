"""The benchmarks, each run as a script (`make bench`: run_all.py); load.py imports its parts from here."""
