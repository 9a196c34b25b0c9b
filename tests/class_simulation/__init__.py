"""A simulated class: the answers of tests/test_class_simulation.py, one module per lesson."""
