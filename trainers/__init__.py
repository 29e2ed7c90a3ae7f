"""Tools for Colibri's trainers: ``inbox`` exports what the assistant missed as NLU data.

Modules: ``tracker_source`` (reading Rasa's SQL tracker store, read-only),
``selection`` (which customer messages count as missed), ``masking`` (personal
data out, placeholders in), ``shop_names`` (customer names to mask, when the
shop's database is reachable), ``nlu_yaml`` (deduplication and the Rasa NLU file),
``inbox`` (the command).
"""
