"""The eval harness: datasets in ``evals/datasets``, metrics in ``evals.metrics``, suites as modules."""
