"""Hostile fixture `mutate_inputs` (faking comparisons): zeroes the caller's arrays in place
(forward_info and weights) so that a test reusing them compares zeros with zeros.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def loss_gradients(forward_info, weights):
    for value in list(forward_info.values()) + list(weights.values()):
        value[...] = 0.0
    X, P, y = forward_info["X"], forward_info["P"], forward_info["y"]
    dLdP = -2.0 * (y - P)
    return {"W": np.dot(np.transpose(X), dLdP), "B": dLdP.sum(axis=0, keepdims=True)}
