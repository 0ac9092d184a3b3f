"""Reference solutions of the nn_from_scratch assignment."""
