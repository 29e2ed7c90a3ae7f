"""Benchmarks of Colibri (``make bench``): each module measures one part, see ``bench.nlu``."""
