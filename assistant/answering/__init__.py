"""Answers about the policy: the learned answer model (``model``) and what is said (``compose``)."""
