"""Sentence embeddings shared by the safety guard (bot/) and the NLU (nlu/), which don't import each other."""
