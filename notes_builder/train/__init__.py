"""`notes train-figures`: the real LSTM run whose numbers and figures the notes quote, as a plugin.

Light modules, imported by the core through the plugin (no torch, numpy, scipy or matplotlib):
settings (the `training:` section), plugin (the events), results (the results folder's contract) and freeze
(the record). The run itself needs the `train` extra (`pip install 'notes-builder[train]'`): data, model,
training (one seed), runner (every seed, in seed processes; the summary; the results folder), distributed
(the same under torchrun), figures.
"""
